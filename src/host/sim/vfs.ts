/**
 * An in-memory filesystem shaped like sysfs: directories, symlinks with relative targets, and
 * attribute files whose reads and writes are handled by the kernel model. Path resolution follows
 * symlinks the way the VFS does (relative to the link's directory, ELOOP after 40 hops).
 */
import type { ErrnoName } from '../errors.js';

export type WriteHandler = (value: string) => void | Promise<void>;

export interface FileNode {
  kind: 'file';
  read?: () => string;
  write?: WriteHandler;
}
export interface DirNode {
  kind: 'dir';
  children: Map<string, VfsNode>;
}
export interface LinkNode {
  kind: 'link';
  target: string;
}
export type VfsNode = FileNode | DirNode | LinkNode;

/** A failed lookup: the errno the VFS would return. */
export class VfsError extends Error {
  constructor(
    readonly errno: ErrnoName,
    readonly path: string,
  ) {
    super(`${path}: ${errno}`);
  }
}

const MAX_LINK_HOPS = 40;

function split(path: string): string[] {
  return path.split('/').filter((p) => p.length > 0 && p !== '.');
}

export class Vfs {
  readonly root: DirNode = { kind: 'dir', children: new Map() };

  /** Creates every missing directory on the way; returns the last one. Does not follow links. */
  mkdirp(path: string): DirNode {
    let dir = this.root;
    for (const part of split(path)) {
      let next = dir.children.get(part);
      if (!next) {
        next = { kind: 'dir', children: new Map() };
        dir.children.set(part, next);
      }
      if (next.kind !== 'dir') throw new VfsError('ENOTDIR', path);
      dir = next;
    }
    return dir;
  }

  private parentAndName(path: string): [DirNode, string] {
    const parts = split(path);
    const name = parts.pop();
    if (name === undefined) throw new VfsError('EINVAL', path);
    return [this.mkdirp(parts.join('/')), name];
  }

  /** Adds (or replaces) an attribute file. */
  file(path: string, node: Omit<FileNode, 'kind'>): void {
    const [dir, name] = this.parentAndName(path);
    dir.children.set(name, { kind: 'file', ...node });
  }

  /** Adds a read-only file with fixed contents. */
  constant(path: string, contents: string): void {
    this.file(path, { read: () => contents });
  }

  /** Adds (or replaces) a symlink. */
  link(path: string, target: string): void {
    const [dir, name] = this.parentAndName(path);
    dir.children.set(name, { kind: 'link', target });
  }

  /** Removes an entry (recursively for directories); missing entries are ignored. */
  remove(path: string): void {
    const parts = split(path);
    const name = parts.pop();
    if (name === undefined) return;
    let dir: VfsNode | undefined = this.root;
    for (const part of parts) {
      if (dir?.kind !== 'dir') return;
      dir = dir.children.get(part);
    }
    if (dir?.kind === 'dir') dir.children.delete(name);
  }

  /**
   * Resolves a path to its node. Intermediate symlinks are always followed; the final one only when
   * `followFinal` is set (stat vs lstat). Throws VfsError with ENOENT / ENOTDIR / ELOOP-as-EINVAL.
   */
  lookup(path: string, followFinal: boolean): VfsNode {
    const pending = split(path);
    const stack: DirNode[] = [this.root];
    let hops = 0;
    let node: VfsNode = this.root;
    while (pending.length > 0) {
      const part = pending.shift()!;
      const dir = stack[stack.length - 1]!;
      if (part === '..') {
        if (stack.length > 1) stack.pop();
        node = stack[stack.length - 1]!;
        continue;
      }
      const child = dir.children.get(part);
      if (!child) throw new VfsError('ENOENT', path);
      if (child.kind === 'link' && (pending.length > 0 || followFinal)) {
        if (++hops > MAX_LINK_HOPS) throw new VfsError('EINVAL', path);
        const target = split(child.target);
        if (child.target.startsWith('/')) stack.splice(1);
        pending.unshift(...target);
        node = stack[stack.length - 1]!;
        continue;
      }
      if (pending.length > 0) {
        if (child.kind !== 'dir') throw new VfsError('ENOTDIR', path);
        stack.push(child);
      }
      node = child;
    }
    return node;
  }

  /** lstat-like: the node at a path without following a final link, or null. */
  peek(path: string): VfsNode | null {
    try {
      return this.lookup(path, false);
    } catch (e) {
      if (e instanceof VfsError) return null;
      throw e;
    }
  }
}
