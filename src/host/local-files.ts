/**
 * The operator's own files on the machine sriovctl runs on: policy files and directories named on
 * the command line. They are not the managed host's files (with --sim the host is simulated and
 * the policy files are still real), so they have a reader of their own, implemented in
 * host/linux/local-files.ts; logic that reads them (policy/load.ts) receives this interface.
 */

/** What stat(2) says of a path (links followed). */
export interface LocalFileStat {
  isDirectory: boolean;
  /** Size in bytes. */
  size: number;
}

/**
 * Read-only access to local files. Failures are thrown as Node's system errors, whose `code` names
 * the errno (ENOENT, EACCES, EISDIR, ...).
 */
export interface LocalFileReader {
  /** stat(2), following links. */
  stat(path: string): LocalFileStat;
  /** A directory's entry names, in the order the filesystem returns them. */
  readDir(path: string): string[];
  /** A file's whole contents as UTF-8 text. */
  readText(path: string): string;
}
