// The state storage contract: what every backend of storage/types.ts answers, as tests. A backend
// runs it with one line in its own test file (sqlite/sqlite.contract.test.ts; the PostgreSQL backend
// will do the same). Not a test file itself: it is the suite those files call.
import { afterEach, beforeEach, describe } from 'vitest';
import type { Storage } from '../types.ts';
import { stateContract } from './state.ts';
import { archiveContract } from './archive.ts';
import { keyValueContract } from './key-value.ts';
import { transactionContract } from './transactions.ts';
import { fastTokenContract } from './fast-tokens.ts';
import { uploadsContract } from './uploads.ts';

/** A fresh, empty store for one test, and how to throw it away afterwards. */
export interface ContractBackend {
  storage: Storage;
  dispose(): Promise<void>;
}

export function storageContract(backendName: string, open: () => Promise<ContractBackend>): void {
  describe(`state storage contract: ${backendName}`, () => {
    let backend: ContractBackend;
    beforeEach(async () => {
      backend = await open();
    });
    afterEach(async () => {
      await backend.dispose();
    });
    const storage = () => backend.storage;
    stateContract(storage);
    archiveContract(storage);
    keyValueContract(storage);
    transactionContract(storage);
    fastTokenContract(storage);
    uploadsContract(storage);
  });
}
