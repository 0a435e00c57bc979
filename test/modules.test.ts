// The module API (issue 10): a module gets its own context — typed options with defaults and
// floors from the configuration, declared dependencies, iq handlers that cannot be registered
// twice — and is refused at start when any of that is wrong.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NS, xml } from '@parley/shared';
import { configSchema, type ConfigInput } from '../server/src/config.ts';
import { createLogger } from '../server/src/logger.ts';
import { ParleyServer } from '../server/src/server.ts';
import { openDataStores } from '../server/src/data-folder.ts';
import { testStorageSettings } from './helpers/test-storage.ts';
import { addDomain } from '../server/src/cli/accounts.ts';
import { defaultModules } from '../server/src/modules/index.ts';
import { defineModule, type AnyModuleDefinition } from '../server/src/core/module-api.ts';
import type { TestServer } from './helpers/server.ts';
import { createUsers, iq, online, stopAll } from './helpers/im.ts';

const running: TestServer[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

async function start(modules: readonly AnyModuleDefinition[], config: Partial<ConfigInput> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  const storage = await testStorageSettings(dataDir);
  const data = await openDataStores(dataDir, storage);
  await addDomain(data, 'example.com');
  await data.close();
  const parsed = configSchema.parse({
    ...config, dataDir, storage, domains: ['example.com'], bind: '127.0.0.1', c2s: { port: 0, tlsPort: 0 }, s2s: { port: 0 }, http: { port: 0, tlsPort: -1 },
    log: { level: process.env.PARLEY_TEST_LOG ?? 'silent' },
  });
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  let parley: ParleyServer;
  try {
    parley = await ParleyServer.start(parsed, createLogger(parsed.log.level), { modules });
  } catch (error) {
    cleanup();
    throw error;
  }
  const server: TestServer = { server: parley, dataDir, storage, ports: parley.ports, logs: [], stop: async () => { await parley.stop(); cleanup(); } };
  running.push(server);
  return server;
}

const NS_GREETING = 'urn:example:greeting';

/** Answers iq get <greeting/> on accounts with its configured text, repeated `times` (at least 1). */
const greeter = defineModule({
  name: 'greeter',
  implements: [],
  options: z.object({ text: z.string().default('hello'), times: z.number().int().min(1).default(1) }),
  dependencies: ['disco'],
  register(ctx) {
    ctx.features.account(NS_GREETING);
    ctx.iq('account', 'get', { name: 'greeting', xmlns: NS_GREETING }, ({ origin }) =>
      xml('greeting', { xmlns: NS_GREETING, from: origin.kind }, ctx.options.text.repeat(ctx.options.times)));
  },
});

describe('module options (config.modules.<name>)', () => {
  it('are the defaults when nothing is configured, and the configured values otherwise', async () => {
    const plain = await start([...defaultModules, greeter]);
    const [aliceJid] = await createUsers(plain, ['alice']);
    const alice = await online(plain, aliceJid!);
    const answer = await iq(alice, 'get', xml('greeting', { xmlns: NS_GREETING }));
    expect(answer.getChild('greeting', NS_GREETING)?.getText()).toBe('hello');
    // the handler got one request object: the origin is the sender's client session
    expect(answer.getChild('greeting', NS_GREETING)?.attrs.from).toBe('client');
    // the disco module lists what the module registered
    const info = await iq(alice, 'get', xml('query', { xmlns: NS.discoInfo }), aliceJid);
    expect(info.getChild('query')!.getChildren('feature').map((feature) => feature.attrs.var)).toContain(NS_GREETING);
    await stopAll(alice);

    const configured = await start([...defaultModules, greeter], { modules: { greeter: { text: 'hi ', times: 2 } } });
    const [bobJid] = await createUsers(configured, ['bob']);
    const bob = await online(configured, bobJid!);
    expect((await iq(bob, 'get', xml('greeting', { xmlns: NS_GREETING }))).getChild('greeting')?.getText()).toBe('hi hi ');
    await stopAll(bob);
  });

  it('below their floor stop the start with the module and the option named', async () => {
    await expect(start([...defaultModules, greeter], { modules: { greeter: { times: 0 } } }))
      .rejects.toThrow(/module greeter: invalid options: times/);
  });
});

describe('module registration', () => {
  it('refuses a module whose dependency is not loaded', async () => {
    const lonely = defineModule({ name: 'lonely', implements: [], dependencies: ['no-such-module'], register() {} });
    await expect(start([...defaultModules, lonely])).rejects.toThrow(/module lonely needs module no-such-module/);
  });

  it('loads dependencies first, whatever the list order', async () => {
    const order: string[] = [];
    const first = defineModule({ name: 'first', implements: [], dependencies: ['second'], register: () => void order.push('first') });
    const second = defineModule({ name: 'second', implements: [], register: () => void order.push('second') });
    await start([...defaultModules, first, second]);
    expect(order).toEqual(['second', 'first']);
  });

  it('refuses a second handler for an iq another module answers (no silent overwrite)', async () => {
    const pong = defineModule({ name: 'pong', implements: [], register: (ctx) => ctx.iq('host', 'get', { name: 'ping', xmlns: NS.ping }, () => null) });
    await expect(start([...defaultModules, pong])).rejects.toThrow(/pong: iq get <ping xmlns='urn:xmpp:ping'\/> to the host is already handled by ping/);
  });

  it('refuses the same hub handler twice for one event', async () => {
    const handler = () => {};
    const twice = defineModule({
      name: 'twice', implements: [],
      register(ctx) {
        ctx.on('resource-bind', handler);
        ctx.on('resource-bind', handler);
      },
    });
    await expect(start([...defaultModules, twice])).rejects.toThrow(/already registered for 'resource-bind'/);
  });
});
