// The data folder holds password verifiers, the archive and TLS private keys: the folder is 0700,
// the database (with its -wal and -shm files) and the keys 0600 — new ones, and existing ones,
// which are tightened on start.
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../server/src/config.ts';
import { createLogger } from '../server/src/logger.ts';
import { ParleyServer } from '../server/src/server.ts';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

let parent: string;
let dataDir: string;

async function startAndStop(work: (server: ParleyServer) => Promise<void> = async () => {}): Promise<void> {
  const config = configSchema.parse({
    dataDir, domains: ['example.com'], bind: '127.0.0.1',
    c2s: { port: 0, tlsPort: 0 }, s2s: { port: 0 }, http: { port: 0, tlsPort: 0 }, log: { level: 'silent' },
  });
  const server = await ParleyServer.start(config, createLogger('silent'));
  try {
    await work(server);
  } finally {
    await server.stop();
  }
}

/** Every file and folder the server keeps, with its mode, while it runs (the WAL files exist then). */
function modes(): Record<string, string> {
  const found: Record<string, string> = { '.': mode(dataDir) };
  for (const name of readdirSync(dataDir)) found[name] = mode(join(dataDir, name));
  for (const name of readdirSync(join(dataDir, 'certs'))) found[`certs/${name}`] = mode(join(dataDir, 'certs', name));
  return found;
}

beforeAll(() => {
  expect(process.umask() & 0o077).not.toBe(0o077); // the defaults would be readable by others here
  parent = mkdtempSync(join(tmpdir(), 'parley-perms-'));
  dataDir = join(parent, 'data');
});
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('file permissions in the data folder', () => {
  it('a new data folder: 0700, the database and its WAL files 0600, the certificate folder 0700, keys 0600', async () => {
    await startAndStop(async (server) => {
      await server.admin.addUser('alice@example.com', { password: 'alice-pw' }); // a write: the WAL is in use
      const found = modes();
      expect(existsSync(join(dataDir, 'parley.db-wal'))).toBe(true);
      expect(found).toMatchObject({
        '.': '700', 'parley.db': '600', 'parley.db-wal': '600', 'parley.db-shm': '600',
        certs: '700', 'certs/example.com.key': '600',
      });
      // certificates are public; nothing in the folder is writable by others
      for (const [name, bits] of Object.entries(found)) expect(Number.parseInt(bits, 8) & 0o022, name).toBe(0);
    });
  });

  it('existing files left readable by others are tightened on start', async () => {
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'parley.db'), 0o644);
    chmodSync(join(dataDir, 'certs'), 0o755);
    chmodSync(join(dataDir, 'certs', 'example.com.key'), 0o644);
    await startAndStop(async () => {
      expect(modes()).toMatchObject({ '.': '700', 'parley.db': '600', certs: '700', 'certs/example.com.key': '600' });
    });
  });
});
