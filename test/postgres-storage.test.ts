// The state stores on PostgreSQL (storage.backend: postgres): a server keeps accounts, rosters and
// vCards in the configured database, not in its data folder; two servers on one database (two
// nodes of a cluster) see the same state; `parley check` signs in to it. A real PostgreSQL 15
// (test/helpers/postgres.ts), the run's own with PARLEY_TEST_STORAGE=postgres.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, getRoster, iq, online, rosterItem, stopAll, xml } from './helpers/im.ts';
import { startPostgres, type PostgresServer } from './helpers/postgres.ts';
import { closedPort } from './helpers/suite.ts';
import { freePortBelowEphemeral } from './helpers/ports.ts';

let postgres: PostgresServer | null = null;
/** A fresh database's URL on the run's PostgreSQL (or this file's own). */
let newDatabase: () => Promise<string>;

beforeAll(async () => {
  const shared = inject('parleyPostgresUrl');
  if (shared) {
    newDatabase = async () => {
      const name = `parley_pgtest_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      const client = new pg.Client({ connectionString: shared });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`).finally(() => client.end());
      return Object.assign(new URL(shared), { pathname: `/${name}` }).toString();
    };
  } else {
    postgres = await startPostgres();
    newDatabase = () => postgres!.createDatabase();
  }
}, 60_000);

afterAll(async () => {
  await postgres?.stop();
});

async function query<R extends object>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const storageAt = (url: string) => ({ backend: 'postgres' as const, postgres: { url } });

describe('state storage on PostgreSQL', () => {
  let url: string;
  let nodeA: TestServer;
  let nodeB: TestServer;

  beforeAll(async () => {
    url = await newDatabase();
    nodeA = await startServer({ config: { storage: storageAt(url) } });
    // another node: its own data folder (certificates, archive), the same database
    nodeB = await startServer({ config: { storage: storageAt(url) } });
  }, 60_000);
  afterAll(async () => {
    await nodeA?.stop();
    await nodeB?.stop();
  });

  it('keeps accounts in the database, not in the data folder', async () => {
    const [alice] = await createUsers(nodeA, ['alice']);
    expect(await query(url, 'SELECT jid, domain FROM accounts WHERE jid = $1', [alice])).toEqual([{ jid: alice, domain: 'example.com' }]);
    expect(await query(url, 'SELECT domain FROM domains')).toEqual([{ domain: 'example.com' }]);
    // the data folder's SQLite file, if the archive made one, holds no account
    const file = join(nodeA.dataDir, 'parley.db');
    if (existsSync(file)) {
      const db = new Database(file, { readonly: true });
      try {
        const hasAccounts = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'accounts'").get() !== undefined;
        expect(hasAccounts ? db.prepare('SELECT count(*) AS n FROM accounts').get() : { n: 0 }).toEqual({ n: 0 });
      } finally {
        db.close();
      }
    }
  });

  it('two servers on one database: an account, a roster and a vCard set through one are there on the other', async () => {
    const [alice, bob] = await createUsers(nodeA, ['alice', 'bob']);
    const onA = await online(nodeA, alice!);
    await iq(onA, 'set', rosterItem(bob!, { name: 'Bob', groups: ['Friends'] }));
    await iq(onA, 'set', xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Alice Liddell')));
    await stopAll(onA);

    const onB = await online(nodeB, alice!);
    const roster = await getRoster(onB);
    expect(roster?.items).toEqual([{ jid: bob, name: 'Bob', subscription: 'none', groups: ['Friends'] }]);
    const bobOnB = await online(nodeB, bob!);
    const card = await iq(bobOnB, 'get', xml('vCard', { xmlns: 'vcard-temp' }), alice);
    expect(card.getChild('vCard')?.getChildText('FN')).toBe('Alice Liddell');
    await stopAll(onB, bobOnB);
  });
});

describe('parley check with storage.backend postgres', () => {
  const parley = join(import.meta.dirname, '../server/bin/parley.js');

  async function check(config: Record<string, unknown>) {
    const dir = mkdtempSync(join(tmpdir(), 'parley-check-pg-'));
    try {
      const configFile = join(dir, 'parley.json');
      writeFileSync(configFile, JSON.stringify({
        domains: ['example.com'], bind: '127.0.0.1', dataDir: join(dir, 'data'),
        c2s: { port: await freePortBelowEphemeral(), tlsPort: -1 }, http: { port: await freePortBelowEphemeral(), tlsPort: -1 }, s2s: { port: 0 },
        ...config,
      }));
      const child = spawn(process.execPath, [parley, '--config', configFile, 'check', '--skip', 'dns,ports,certificates', '--timeout', '3000'],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PARLEY_DATA: '' } });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
      const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
      return { status, stdout, lines: stdout.split('\n').filter((line) => /^(ok|note|warning|problem) /.test(line)).map((line) => line.replace(/\s+/g, ' ')) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('signs in to the configured database (ok with its version) and names one that cannot be reached (a problem)', async () => {
    const url = await newDatabase();
    const good = await check({ storage: { backend: 'postgres', postgres: { url } } });
    expect(good.status, good.stdout).toBe(0);
    expect(good.lines.find((line) => line.startsWith(`ok services storage.postgres ${url} answers (PostgreSQL 15.`)), good.stdout).toBeDefined();
    // the check created nothing in it
    expect(await query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).toEqual([]);

    const dead = `postgres://parley:secret@127.0.0.1:${await closedPort()}/parley`;
    const bad = await check({ storage: { backend: 'postgres', postgres: { url: dead } } });
    expect(bad.status).toBe(1);
    expect(bad.lines.find((line) => line.startsWith(`problem services storage.postgres postgres://parley:***@127.0.0.1:`) && line.includes('cannot be reached')), bad.stdout).toBeDefined();
  }, 60_000);

  it('refuses backend postgres without a URL, naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-check-pg-'));
    try {
      const configFile = join(dir, 'parley.json');
      writeFileSync(configFile, JSON.stringify({ dataDir: join(dir, 'data'), storage: { backend: 'postgres' } }));
      const result = spawnSync(process.execPath, [parley, '--config', configFile, 'check', '--skip', 'dns,ports,certificates,services'],
        { encoding: 'utf8', env: { ...process.env, PARLEY_DATA: '' } });
      expect(result.status).toBe(1);
      expect(result.stdout + result.stderr).toContain('storage.postgres.url');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
