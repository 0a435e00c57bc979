// External components (XEP-0114) through the admin API (issue 12/17): listed with their connection
// (connected since, address, stanzas in and out), added with a secret and removed at run time — no
// restart: the component port opens for the first one, a removed one is disconnected at once. A
// real component: slixmpp's ComponentXMPP (helpers/slixmpp_component.py).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS } from '@parley/shared';
import { startServer, type TestServer } from './helpers/server.ts';
import { connectTcp } from './helpers/raw-stream.ts';
import { createUsers, online, received, stopAll, xml } from './helpers/im.ts';
import { storageEnv } from './helpers/test-storage.ts';

const TOKEN = 'components-admin-token-0123456789abcdef';
const SECRET = 'the bot secret, long enough';
const BOT_SCRIPT = fileURLToPath(new URL('./helpers/slixmpp_component.py', import.meta.url));

async function api(server: TestServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${server.ports.http}/admin/api/${path}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** The slixmpp component as a child process; its events as they arrive. */
function startBot(spec: Record<string, unknown>): { child: ChildProcess; next(event: string): Promise<Record<string, unknown>> } {
  const child = spawn('/usr/bin/python3', [BOT_SCRIPT, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const events: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => events.push(JSON.parse(line) as Record<string, unknown>));
  return {
    child,
    next: async (event) => {
      await expect.poll(() => events.some((e) => e.event === event), { timeout: 20_000 }).toBe(true);
      return events.find((e) => e.event === event)!;
    },
  };
}

describe('components added and removed through the admin API, live', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ captureLogs: true, config: { admin: { token: TOKEN }, components: { port: 0 } } });
  });
  afterAll(() => server?.stop());

  it('opens the component port for the first component added; a slixmpp component connects and is listed with its traffic', { timeout: 60_000 }, async () => {
    expect(server.ports.component).toBeNull();
    expect(await api(server, 'GET', 'components')).toEqual({ status: 200, body: [] });
    const added = await api(server, 'POST', 'components', { domain: 'Bot.Example.com', secret: SECRET });
    expect(added).toEqual({ status: 201, body: { domain: 'bot.example.com', secret: SECRET, generated: false } });
    expect(server.server.ports.component).toEqual(expect.any(Number));

    const bot = startBot({ jid: 'bot.example.com', secret: SECRET, host: '127.0.0.1', port: server.server.ports.component });
    try {
      await bot.next('started');
      const [aliceJid] = await createUsers(server, ['alice']);
      const alice = await online(server, aliceJid!);
      await alice.xmpp.send(xml('message', { to: 'echo@bot.example.com', type: 'chat' }, xml('body', {}, 'hello bot')));
      expect((await received(alice, (s) => s.is('message') && s.attrs.from === 'echo@bot.example.com')).getChildText('body')).toBe('echo: hello bot');
      await stopAll(alice);

      const listed = await api(server, 'GET', 'components');
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual([{
        domain: 'bot.example.com', source: 'stored',
        connection: { node: expect.stringMatching(/^node-/), connectedSince: expect.any(String), address: '127.0.0.1', stanzasIn: expect.any(Number), stanzasOut: expect.any(Number) },
      }]);
      const { connection } = listed.body[0];
      expect(Date.now() - Date.parse(connection.connectedSince)).toBeLessThan(60_000);
      expect(connection.stanzasIn).toBeGreaterThanOrEqual(1); // its echo
      expect(connection.stanzasOut).toBeGreaterThanOrEqual(1); // alice's message
      // the CLI reads the same service: where it is connected, since when, from where
      const cli = spawnSync(process.execPath, [join(import.meta.dirname, '../server/bin/parley.js'), '--data', server.dataDir, 'component', 'list'],
        { encoding: 'utf8', env: storageEnv(server.storage) });
      expect(cli.stdout).toBe(`bot.example.com  connected to ${connection.node} since ${connection.connectedSince} from 127.0.0.1\n`);

      // removed: the stream ends at once (host-gone), and the next handshake is refused
      expect(await api(server, 'DELETE', 'components/bot.example.com')).toEqual({ status: 200, body: { removed: 'bot.example.com' } });
      await bot.next('disconnected');
      expect(server.logs).toContainEqual(expect.objectContaining({ msg: 'component disconnected', domain: 'bot.example.com' }));
      expect(await api(server, 'GET', 'components')).toEqual({ status: 200, body: [] });
      const peer = await connectTcp(server.server.ports.component!);
      peer.send(`<stream:stream xmlns='${NS.component}' xmlns:stream='${NS.stream}' to='bot.example.com'>`);
      expect((await peer.next()).kind).toBe('header');
      await peer.receiveStreamError('host-unknown');
    } finally {
      bot.child.stdin!.end();
    }
  });

  it('generates a secret when none is given; a raw component proves it', async () => {
    const added = await api(server, 'POST', 'components', { domain: 'gateway.example.com' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ domain: 'gateway.example.com', generated: true, secret: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) });
    const peer = await connectTcp(server.server.ports.component!);
    peer.send(`<stream:stream xmlns='${NS.component}' xmlns:stream='${NS.stream}' to='gateway.example.com'>`);
    const header = await peer.next();
    if (header.kind !== 'header') throw new Error('expected the stream header');
    peer.send(`<handshake>${createHash('sha1').update(header.attrs.id! + added.body.secret).digest('hex')}</handshake>`);
    await peer.receive('handshake');
    expect((await api(server, 'GET', 'components')).body).toEqual([
      expect.objectContaining({ domain: 'gateway.example.com', connection: expect.objectContaining({ stanzasIn: 0, stanzasOut: 0 }) }),
    ]);
    await api(server, 'DELETE', 'components/gateway.example.com');
    await peer.receiveStreamError('host-gone');
  });

  it('refuses a short secret (400), a served domain, an existing component (409) and an unknown one (404)', async () => {
    expect(await api(server, 'POST', 'components', { domain: 'short.example.com', secret: 'short' })).toMatchObject({ status: 400 });
    expect(await api(server, 'POST', 'components', { domain: 'not a domain!' })).toMatchObject({ status: 400 });
    expect(await api(server, 'POST', 'components', { domain: 'example.com' })).toMatchObject({ status: 409, body: { error: expect.stringContaining('served domain') } });
    expect((await api(server, 'POST', 'components', { domain: 'twice.example.com', secret: SECRET })).status).toBe(201);
    expect(await api(server, 'POST', 'components', { domain: 'twice.example.com', secret: SECRET })).toMatchObject({ status: 409 });
    expect(await api(server, 'DELETE', 'components/never.example.com')).toMatchObject({ status: 404 });
    await api(server, 'DELETE', 'components/twice.example.com');
  });
});

describe('components of the configuration file', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ config: { admin: { token: TOKEN }, components: { port: 0, services: { 'conf.example.com': { secret: SECRET } } } } });
  });
  afterAll(() => server?.stop());

  it('are listed as such and cannot be added or removed through the API (409)', async () => {
    expect(await api(server, 'GET', 'components')).toEqual({ status: 200, body: [{ domain: 'conf.example.com', source: 'configuration', connection: null }] });
    expect(await api(server, 'POST', 'components', { domain: 'conf.example.com', secret: SECRET })).toMatchObject({ status: 409 });
    expect(await api(server, 'DELETE', 'components/conf.example.com')).toMatchObject({ status: 409, body: { error: expect.stringContaining('configuration file') } });
  });
});
