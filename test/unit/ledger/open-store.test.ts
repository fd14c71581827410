// The one place --db picks a ledger store: what it accepts, and what it refuses with the flag, the
// value and the fix (the value reaches a file path, so it is hostile until checked).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, parseStoreLocation } from '../../../src/ledger/open-store.js';
import type { LedgerStore } from '../../../src/ledger/store.js';
import { SriovctlError } from '../../../src/host/errors.js';
import { rejection, tempDir } from './support.js';

const opened: LedgerStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

describe('parseStoreLocation', () => {
  it('reads a path, sqlite: and sqlite:/// URLs, and :memory: as SQLite', () => {
    expect(parseStoreLocation('/var/lib/sriovctl/ledger.db')).toEqual({
      kind: 'sqlite',
      path: '/var/lib/sriovctl/ledger.db',
    });
    expect(parseStoreLocation('ledger.db')).toEqual({ kind: 'sqlite', path: 'ledger.db' });
    expect(parseStoreLocation('sqlite:/srv/l.db')).toEqual({ kind: 'sqlite', path: '/srv/l.db' });
    expect(parseStoreLocation('sqlite:rel/l.db')).toEqual({ kind: 'sqlite', path: 'rel/l.db' });
    expect(parseStoreLocation('sqlite:///srv/l.db')).toEqual({ kind: 'sqlite', path: '/srv/l.db' });
    expect(parseStoreLocation(':memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseStoreLocation('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
  });

  it('reads postgres:// and postgresql:// as PostgreSQL, hiding the password', () => {
    expect(parseStoreLocation('postgres://sriov:s3cret@db.example:5432/ledger')).toEqual({
      kind: 'postgres',
      shown: 'postgres://sriov:***@db.example:5432/ledger',
    });
    expect(parseStoreLocation('POSTGRESQL://db/ledger')).toMatchObject({ kind: 'postgres' });
  });

  it.each([
    ['', /--db "": names no file/],
    ['sqlite:', /names no file/],
    ['/var/lib/sriovctl/', /names a directory, not a file/],
    ['ledger.db\u0000.txt', /--db "ledger.db\\u0000.txt": contains a control character/],
    ['ledger\n.db', /contains a control character/],
    ['file:ledger.db?mode=memory', /file: URIs are not accepted/],
    ['sqlite:FILE:ledger.db', /file: URIs are not accepted/],
    ['sqlite://db-host/ledger.db', /a sqlite:\/\/ URL names no host/],
    ['mysql://db/ledger', /unknown kind of database "mysql:\/\/"/],
    ['MySQL://db/ledger', /unknown kind of database "mysql:\/\/"/],
    ['/x/' + 'a'.repeat(5000), /longer than 4096/],
  ])('refuses %j, naming the flag, the value and the fix', (value, message) => {
    const e = (() => {
      try {
        parseStoreLocation(value);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(SriovctlError);
    expect((e as Error).message).toMatch(message);
    expect((e as SriovctlError).hint).toMatch(/pass --db with a file path/);
  });
});

describe('openStore', () => {
  it('opens a SQLite ledger at a path or a sqlite: URL: the same file either way', async () => {
    const path = join(tempDir('sriovctl-open-'), 'ledger.db');
    const a = await openStore(path);
    const key = await a.macKey();
    await a.close();
    const b = await openStore(`sqlite://${path}`);
    opened.push(b);
    expect(await b.macKey()).toBe(key);
  });

  it('refuses PostgreSQL for now, naming the flag and the value without its password', async () => {
    const e = await rejection(openStore('postgresql://sriov:hunter2@db/ledger'));
    expect(e).toBeInstanceOf(SriovctlError);
    expect((e as Error).message).toBe(
      '--db postgresql://sriov:***@db/ledger: this sriovctl keeps its ledger in SQLite only; a PostgreSQL ledger shared by a fleet of hosts comes with fleet support',
    );
    expect((e as Error).message).not.toContain('hunter2');
  });
});
