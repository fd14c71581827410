/**
 * The one way sriovctl reads YAML (policies, simulator fixtures, any config it parses): documents
 * are bounded in size and in alias expansion, so a small text cannot make the daemon build a huge
 * value (the "billion laughs" alias bomb), and every refusal is located (`file:line:col: problem`).
 * The expansion bound is the yaml library's own (`maxAliasCount`); this module only sets it in one
 * place and turns the library's unlocated ReferenceError into a located problem.
 */
import {
  isAlias,
  isCollection,
  isPair,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';

/** Largest YAML document sriovctl reads (bytes): far above any real policy or fixture. */
export const YAML_MAX_BYTES = 1024 * 1024;
/**
 * The yaml library's bound on alias expansion (aliases × the aliases inside what they point to).
 * 100 lets a policy reuse a block of settings dozens of times but stops nested expansion early.
 */
export const YAML_MAX_ALIAS_COUNT = 100;

/** A YAML text sriovctl refuses to read, with the place to fix. */
export class YamlLimitError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    /** The problem and its fix, without the location. */
    readonly problem: string,
  ) {
    super(`${file}:${line}:${col}: ${problem}`);
    this.name = 'YamlLimitError';
  }
}

/** Throws YamlLimitError when `text` is over YAML_MAX_BYTES. */
export function checkYamlSize(text: string, file: string, maxBytes = YAML_MAX_BYTES): void {
  // Cheap first: a UTF-8 byte is at most one UTF-16 unit, at most three bytes per unit.
  if (text.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw sizeError(file, bytes, maxBytes);
}

/** The error for a file found too large before it was read (its size from stat). */
export function yamlTooLarge(
  file: string,
  bytes: number,
  maxBytes = YAML_MAX_BYTES,
): YamlLimitError {
  return sizeError(file, bytes, maxBytes);
}

function sizeError(file: string, bytes: number, maxBytes: number): YamlLimitError {
  return new YamlLimitError(
    file,
    1,
    1,
    `the document is ${bytes} bytes, over the limit of ${maxBytes} bytes for YAML sriovctl reads — split it into several files`,
  );
}

/** Parsed YAML and the line counter that locates its nodes. */
export interface ParsedYaml<D> {
  docs: D;
  lineCounter: LineCounter;
}

/** Every document of a YAML stream, after the size check (throws YamlLimitError). */
export function parseYamlDocuments(text: string, file: string): ParsedYaml<Document[]> {
  checkYamlSize(text, file);
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  // parseAllDocuments answers an EmptyStream (not an array) for a text with no documents.
  return { docs: Array.isArray(docs) ? docs : [], lineCounter };
}

/** A single-document YAML text, after the size check (throws YamlLimitError). */
export function parseYamlDocument(text: string, file: string): ParsedYaml<Document> {
  checkYamlSize(text, file);
  const lineCounter = new LineCounter();
  return { docs: parseDocument(text, { lineCounter, prettyErrors: false }), lineCounter };
}

/**
 * The value of `doc`, with alias expansion bounded by the library's maxAliasCount. An alias bomb
 * or an alias without an anchor throws YamlLimitError at the alias.
 */
export function yamlValue(
  doc: Document,
  lineCounter: LineCounter,
  file: string,
  maxAliasCount = YAML_MAX_ALIAS_COUNT,
): unknown {
  try {
    return doc.toJS({ maxAliasCount });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    const at = (node: Node | null): { line: number; col: number } =>
      node?.range ? lineCounter.linePos(node.range[0]) : { line: 1, col: 1 };
    const bomb = overLimit(doc, maxAliasCount);
    if (bomb) {
      const { line, col } = at(bomb);
      throw new YamlLimitError(
        file,
        line,
        col,
        `too many aliases: expanding *${bomb.source} here goes over the limit of ${maxAliasCount} alias expansions (nested aliases multiply) — write the values out or use fewer levels of aliases`,
      );
    }
    const unresolved = firstUnresolved(doc);
    const { line, col } = at(unresolved);
    throw new YamlLimitError(
      file,
      line,
      col,
      unresolved
        ? `alias *${unresolved.source} names no anchor before it — define &${unresolved.source} first`
        : `${e.message} — fix the YAML aliases`,
    );
  }
}

interface AnchorUse {
  node: Node;
  count: number;
  aliasCount: number;
}

/**
 * The alias at which the library's maxAliasCount check trips, found by counting as it does
 * (document order; an alias costs its uses so far × the expansion inside its anchor). Only used to
 * say where: the library did the refusing.
 */
function overLimit(doc: Document, max: number): (Node & { source: string }) | null {
  const anchors = new Map<string, AnchorUse>();
  const inside = (n: unknown): number => {
    if (isAlias(n)) {
      const a = anchors.get(n.source);
      return a ? a.count * a.aliasCount : 0;
    }
    if (isCollection(n)) return n.items.reduce<number>((m, i) => Math.max(m, inside(i)), 0);
    if (isPair(n)) return Math.max(inside(n.key), inside(n.value));
    return 1;
  };
  let hit: (Node & { source: string }) | null = null;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const a = anchors.get(node.source);
        if (!a) return;
        a.count++;
        if (a.aliasCount === 0) a.aliasCount = inside(a.node);
        if (a.count * a.aliasCount > max) {
          hit = node;
          return visit.BREAK;
        }
        return;
      }
      if (node.anchor) anchors.set(node.anchor, { node, count: 0, aliasCount: 0 });
    },
  });
  return hit;
}

function firstUnresolved(doc: Document): (Node & { source: string }) | null {
  const seen = new Set<string>();
  let hit: (Node & { source: string }) | null = null;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (seen.has(node.source)) return;
        hit = node;
        return visit.BREAK;
      }
      if (node.anchor) seen.add(node.anchor);
    },
  });
  return hit;
}
