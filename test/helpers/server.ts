// Starts a real Parley server in-process on free loopback ports with a temporary data folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type ConfigInput } from '../../server/src/config.ts';
import { pino } from 'pino';
import { createLogger, type Logger } from '../../server/src/logger.ts';
import { ParleyServer } from '../../server/src/server.ts';
import { openDataStores, type StorageSettings } from '../../server/src/data-folder.ts';
import { testStorageSettings } from './test-storage.ts';
import { addDomain, addUser } from '../../server/src/cli/accounts.ts';
import type { AnyModuleDefinition } from '../../server/src/core/module-api.ts';

export interface TestServer {
  server: ParleyServer;
  dataDir: string;
  /** Where its state stores are (PARLEY_TEST_STORAGE: the data folder's SQLite file, or a PostgreSQL database). */
  storage: StorageSettings;
  ports: ParleyServer['ports'];
  /** The server's log records, when started with `captureLogs` (level debug and up). */
  logs: Array<Record<string, unknown> & { level: number; msg?: string }>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  domains?: string[];
  /** 'alice@example.com': 'password' */
  users?: Record<string, string>;
  config?: Partial<ConfigInput>;
  /** An existing data folder (another test server's: two nodes on one store); kept at stop. */
  dataDir?: string;
  /** Keep the server's log records in `logs` (for tests about what is logged). */
  captureLogs?: boolean;
  /** The server's logger (default: pino at PARLEY_TEST_LOG, silent; ignored with captureLogs). */
  logger?: Logger;
  /** The feature modules (default: the server's own, modules/index.ts). */
  modules?: readonly AnyModuleDefinition[];
  /** Runs on the fresh data folder before the server starts (e.g. an admin's certificate in certs/). */
  prepare?: (dataDir: string) => void | Promise<void>;
}

export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'));
  const domains = options.domains ?? ['example.com'];
  const storage = { ...(await testStorageSettings(dataDir)), ...options.config?.storage } as StorageSettings;
  const data = await openDataStores(dataDir, storage);
  for (const domain of domains) await addDomain(data, domain);
  for (const [jid, password] of Object.entries(options.users ?? {})) await addUser(data, jid, password);
  await data.close();
  await options.prepare?.(dataDir);
  const config = configSchema.parse({
    ...options.config,
    dataDir,
    storage,
    domains,
    // a server of its own on another loopback address (federation tests: 127.0.0.10) when asked
    bind: options.config?.bind ?? '127.0.0.1',
    c2s: { port: 0, tlsPort: 0, ...options.config?.c2s },
    http: { port: 0, tlsPort: -1, ...options.config?.http },
    // federation on a free port; DNS to a closed loopback port, so a stanza to a domain no test serves
    // bounces at once (remote-server-not-found) instead of waiting for the system's resolver
    s2s: { port: 0, ...options.config?.s2s },
    dns: { servers: ['127.0.0.1:1'], ...options.config?.dns },
    log: { level: process.env.PARLEY_TEST_LOG ?? 'silent' },
  });
  const logs: TestServer['logs'] = [];
  const log = options.captureLogs
    ? pino({ level: 'debug', base: { service: 'parley' } }, { write: (line: string) => void logs.push(JSON.parse(line)) })
    : options.logger ?? createLogger(config.log.level);
  const server = await ParleyServer.start(config, log, { modules: options.modules });
  return {
    server,
    dataDir,
    storage,
    logs,
    ports: server.ports,
    stop: async () => {
      await server.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
