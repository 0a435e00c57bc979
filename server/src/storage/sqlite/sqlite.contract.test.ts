// The state storage contract (storage/contract/) on the embedded SQLite backend.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storageContract } from '../contract/index.ts';
import { openSqliteStorage } from './index.ts';

storageContract('SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-storage-'));
  const storage = openSqliteStorage(dir);
  return { storage, dispose: async () => { await storage.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
});
