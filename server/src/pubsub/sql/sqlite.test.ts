// The PubSubStore contract (pubsub/contract.ts) on SQLite, on the data folder's connection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDataFolder } from '../../data-folder.ts';
import { pubSubStoreContract } from '../contract.ts';

pubSubStoreContract('SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-pubsub-'));
  const data = openDataFolder(dir);
  return {
    store: data.pubsub,
    createAccount: async (jid) => { await data.storage.accounts.create(jid, []); },
    deleteAccount: async (jid) => { await data.storage.accounts.delete(jid); },
    dispose: async () => { await data.close(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
});
