/**
 * The one place a ledger store is chosen: from the value of `--db`. A file path (or `sqlite:PATH`,
 * or `:memory:`) is a SQLite ledger for one host; `postgres://` and `postgresql://` name the
 * fleet ledger that PostgreSQL support (issue 17) will add here, and nothing else constructs a
 * store.
 */
import { SriovctlError } from '../host/errors.js';
import { hasControlCharacter } from '../host/names.js';
import { SqliteLedgerStore } from './sqlite/sqlite-store.js';
import type { LedgerStore } from './store.js';

/** Where a ledger lives, as `--db` named it. */
export type StoreLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; /** With any password replaced by ***, for messages. */ shown: string };

/** Longer than any path Linux opens (PATH_MAX). */
const MAX_LENGTH = 4096;

const FIX =
  'pass --db with a file path (the default is /var/lib/sriovctl/ledger.db), sqlite:PATH, or :memory:';

function refuse(value: string, why: string): never {
  // JSON quoting shows the value as given, control characters escaped.
  throw new SriovctlError(`--db ${JSON.stringify(value)}: ${why}`, FIX);
}

/** A PostgreSQL URL with its password hidden (it must not reach a log or a terminal). */
function hidePassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return `${url.slice(0, url.indexOf(':'))}://…`;
  }
}

/** Reads and checks a `--db` value; the value reaches a file path, so it is treated as hostile. */
export function parseStoreLocation(value: string): StoreLocation {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql')
    return { kind: 'postgres', shown: hidePassword(value) };
  if (value.length > MAX_LENGTH) refuse(value.slice(0, 64) + '…', `longer than ${MAX_LENGTH}`);
  if (hasControlCharacter(value))
    refuse(value, 'contains a control character (a NUL, a newline...)');
  if (value === ':memory:') return { kind: 'sqlite', path: value };
  let path = value;
  if (scheme === 'sqlite') {
    path = value.slice('sqlite:'.length);
    if (path === ':memory:') return { kind: 'sqlite', path };
    if (path.startsWith('//')) {
      // sqlite:///var/lib/x.db: an empty authority, then an absolute path.
      path = path.slice(2);
      if (!path.startsWith('/'))
        refuse(value, 'a sqlite:// URL names no host: write sqlite:///ABSOLUTE/PATH');
    }
  } else if (scheme !== undefined && value.slice(scheme.length).startsWith('://'))
    refuse(value, `unknown kind of database "${scheme}://"`);
  // SQLite's URI filenames carry options (mode=, vfs=) that would bypass the ledger's own, and
  // the store would not narrow the file's mode.
  if (/^file:/i.test(path)) refuse(value, 'file: URIs are not accepted');
  if (path === '') refuse(value, 'names no file');
  if (path.endsWith('/')) refuse(value, 'names a directory, not a file');
  return { kind: 'sqlite', path };
}

/** Opens the ledger store `--db` names (the value as given on the command line). */
export async function openStore(value: string): Promise<LedgerStore> {
  const where = parseStoreLocation(value);
  if (where.kind === 'postgres')
    throw new SriovctlError(
      `--db ${where.shown}: this sriovctl keeps its ledger in SQLite only; a PostgreSQL ledger shared by a fleet of hosts comes with fleet support`,
      FIX,
    );
  return new SqliteLedgerStore({ path: where.path });
}
