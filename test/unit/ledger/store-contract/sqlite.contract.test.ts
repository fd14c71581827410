// The store contract on SQLite: a ledger file in a temporary directory, opened the way the daemon
// opens it (openStore with the --db value).
import { join } from 'node:path';
import { openStore } from '../../../../src/ledger/open-store.js';
import { tempDir } from '../support.js';
import { describeStoreContract } from './suite.js';

describeStoreContract('SQLite', async () => {
  const path = join(tempDir('sriovctl-contract-'), 'ledger.db');
  return { store: await openStore(path), reopen: () => openStore(path) };
});
