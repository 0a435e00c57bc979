// The directory contract (directory/contract.ts) on the data folder's SQLite file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDataFolder } from '../../data-folder.ts';
import { directoryContract } from '../contract.ts';

directoryContract('SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-directory-'));
  const data = openDataFolder(dir);
  return { data, dispose: async () => { await data.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
});
