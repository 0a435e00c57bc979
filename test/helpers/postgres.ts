// A real PostgreSQL 15 for tests (Debian's `postgresql` package, binaries under
// /usr/lib/postgresql/15/bin; .ci/run installs it): a cluster made by initdb in a temporary folder,
// its server on a free loopback port (and a socket only in that folder), run as the `postgres`
// user when the tests run as root (PostgreSQL refuses to run as root), stopped and removed by
// stop(). Trust authentication on loopback, C collation (byte order, as SQLite sorts), no fsync.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePortBelowEphemeral } from './ports.ts';
import { systemUser } from './system-user.ts';

export const POSTGRES_BIN = process.env.PARLEY_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
const SUPERUSER = 'parley';

export interface PostgresServer {
  port: number;
  /** The URL of a database of this server ('postgres', the maintenance database, by default). */
  url(database?: string): string;
  /**
   * Creates a database of its own (one per test server or contract test), empty or a copy of
   * `template` (a database made by createDatabase whose connections are closed); returns its URL.
   */
  createDatabase(template?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-postgres-'));
  const data = join(dir, 'data');
  const asUser = process.getuid?.() === 0 ? systemUser('postgres') : null;
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const options = asUser ? { uid: asUser.uid, gid: asUser.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', HOME: dir };
  const init = spawnSync(join(POSTGRES_BIN, 'initdb'), ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
    { ...options, env, encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.error?.message ?? `status ${init.status}`}): ${init.stderr}`);
  }
  let server: ChildProcess | null = null;
  let port = 0;
  let output = '';
  for (let attempt = 0; attempt < 5 && !server; attempt++) {
    port = await freePortBelowEphemeral();
    const child = spawn(join(POSTGRES_BIN, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=400',
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=32MB',
    ], { ...options, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk; });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk; });
    if (await ready(child, port)) server = child;
    else if (child.exitCode === null) child.kill('SIGKILL');
  }
  if (!server) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${output.slice(-2000)}`);
  }
  const running = server;
  const url = (database = 'postgres') => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  let databases = 0;
  return {
    port,
    url,
    async createDatabase(template?: string) {
      const name = `parley_${process.pid}_${++databases}_${Math.random().toString(36).slice(2, 8)}`;
      await createDatabase(url(), name, template);
      return url(name);
    },
    async stop() {
      if (running.exitCode === null && running.signalCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGINT'); // fast shutdown: ends the sessions, then exits
        await Promise.race([exited, sleep(10_000)]);
        if (running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The database name of a URL made by createDatabase (for a template). */
export function databaseOf(url: string): string {
  return new URL(url).pathname.slice(1);
}

/**
 * CREATE DATABASE `name` [TEMPLATE `template`] through the maintenance database at `adminUrl`. A
 * template's last connection may still be closing on the server (55006 "being accessed by other
 * users"): tried again for a while.
 */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
        await sleep(100);
      }
    }
  } finally {
    await client.end();
  }
}

/** Waits until the server takes connections (true), or exited or gave up (false). */
async function ready(child: ChildProcess, port: number): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres', connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => {});
      await sleep(100);
    }
  }
  return false;
}
