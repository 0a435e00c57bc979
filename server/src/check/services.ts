// The outside services the configuration names: the suite's core (coreAuth), the NATS bus, the
// PostgreSQL state storage, the Elasticsearch archive. Each is asked once, as the server would reach it, with a short timeout.
import net from 'node:net';
import type { Config } from '../config.ts';
import { Findings, errorText } from './finding.ts';

export async function checkServices(config: Config, timeoutMs: number): Promise<Findings> {
  const found = new Findings('services');
  const checks: Array<Promise<void>> = [];
  if (config.coreAuth) checks.push(checkCore(found, config.coreAuth.url, timeoutMs));
  for (const server of config.bus.nats?.servers ?? []) checks.push(checkNats(found, server, timeoutMs));
  if (config.storage.backend === 'postgres' && config.storage.postgres.url) checks.push(checkPostgres(found, config.storage.postgres.url, timeoutMs));
  if (config.archive.enabled && config.archive.backend === 'elasticsearch') {
    for (const node of config.archive.elasticsearch.nodes) checks.push(checkElasticsearch(found, node, config.archive.elasticsearch, timeoutMs));
  }
  await Promise.all(checks);
  if (checks.length === 0) found.note('no outside service configured (coreAuth, bus.nats, PostgreSQL storage, an Elasticsearch archive): nothing to reach');
  return found;
}

/** The core answers HTTP at its URL (any status: the check is reachability, not a sign-in). */
async function checkCore(found: Findings, url: string, timeoutMs: number): Promise<void> {
  try {
    const response = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.body?.cancel();
    found.ok(`coreAuth ${url} answers (HTTP ${response.status})`);
  } catch (error) {
    found.problem(`coreAuth ${url} cannot be reached: ${causeOf(error)}`, 'check coreAuth.url and that the suite core runs; until then password sign-ins fail');
  }
}

/** The URL without its password, for findings. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/**
 * The PostgreSQL of `storage.postgres.url` takes a sign-in and answers a query (its version, its
 * collation). Only reads: the server migrates its tables when it starts.
 */
async function checkPostgres(found: Findings, url: string, timeoutMs: number): Promise<void> {
  const shown = withoutPassword(url);
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string; collation: string }>(
      "SELECT current_setting('server_version') AS version, datcollate AS collation FROM pg_database WHERE datname = current_database()");
    const { version, collation } = rows[0]!;
    if (Number.parseInt(version, 10) < 12) {
      found.problem(`storage.postgres ${shown} runs PostgreSQL ${version}; this build needs 12 or later`, 'point storage.postgres.url at PostgreSQL 12 or later (15 is tested)');
    } else {
      found.ok(`storage.postgres ${shown} answers (PostgreSQL ${version})`);
    }
    // ordered listings (rosters, accounts, nodes) follow the database's collation; SQLite sorts by bytes
    if (!['C', 'POSIX', 'C.UTF-8', 'C.utf8'].includes(collation)) {
      found.warning(`storage.postgres database collation is ${collation}: listings sort differently from the embedded storage`,
        "create the database with LC_COLLATE 'C' (createdb --locale=C --template=template0)");
    }
  } catch (error) {
    found.problem(`storage.postgres ${shown} cannot be reached: ${causeOf(error)}`,
      'check storage.postgres.url (host, port, user, password, database) and that PostgreSQL runs; the server does not start without it');
  } finally {
    await client.end().catch(() => {});
  }
}

/** A NATS server greets every connection with an INFO line (NATS protocol). */
async function checkNats(found: Findings, server: string, timeoutMs: number): Promise<void> {
  const { host, port } = hostPort(server, 4222);
  const greeting = await new Promise<string>((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    let text = '';
    const done = (value: string) => {
      socket.destroy();
      resolve(value);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n')) done(text.slice(0, text.indexOf('\r\n')));
    });
    socket.once('timeout', () => done(text ? `(no INFO line) ${text.slice(0, 40)}` : 'timed out'));
    socket.once('error', (error) => done(`error: ${errorText(error)}`));
  });
  if (greeting.startsWith('INFO ')) {
    let version = '';
    try {
      version = ` (nats-server ${(JSON.parse(greeting.slice(5)) as { version?: string }).version ?? '?'})`;
    } catch { /* an INFO line is enough */ }
    found.ok(`bus.nats ${server} answers${version}`);
  } else {
    found.problem(`bus.nats ${server} is not a reachable NATS server: ${greeting}`, 'check bus.nats.servers and that nats-server runs; suite events wait meanwhile');
  }
}

async function checkElasticsearch(found: Findings, node: string, options: { username?: string; password?: string }, timeoutMs: number): Promise<void> {
  const headers: Record<string, string> = {};
  if (options.username) headers.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  try {
    const response = await fetch(node, { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      return found.problem(`archive.elasticsearch ${node} refuses the credentials (HTTP ${response.status})`, 'check archive.elasticsearch.username and password');
    }
    const info = (await response.json()) as { version?: { number?: string } };
    const version = info.version?.number ?? '?';
    // the client (@elastic/elasticsearch 7.x) speaks to 7.x clusters
    if (!version.startsWith('7.')) {
      return found.problem(`archive.elasticsearch ${node} runs Elasticsearch ${version}; this build needs 7.x`, 'point the archive at a 7.x cluster');
    }
    found.ok(`archive.elasticsearch ${node} answers (Elasticsearch ${version})`);
  } catch (error) {
    found.problem(`archive.elasticsearch ${node} cannot be reached: ${causeOf(error)}`,
      'check archive.elasticsearch.nodes and that the cluster runs; entries wait in the local queue meanwhile');
  }
}

function hostPort(server: string, defaultPort: number): { host: string; port: number } {
  const url = new URL(server.includes('://') ? server : `nats://${server}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : defaultPort };
}

/** fetch's own message is "fetch failed"; the reason is its cause. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  return cause ? errorText(cause) : errorText(error);
}
