// The `parley` command as admins and `npm start` use it: a real process, real signals.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import uWS from 'uWebSockets.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { client as xmppClient } from '@xmpp/client';
import { connectTcp } from './helpers/raw-stream.ts';
import { startClient } from './helpers/clients.ts';
import { acceptTestCertificate } from './helpers/test-tls.ts';
import { freePortBelowEphemeral } from './helpers/ports.ts';
import { storageEnv, testStorageSettings } from './helpers/test-storage.ts';

const parley = join(import.meta.dirname, '../server/bin/parley.js');
const dataDirs: string[] = [];
/** Each data folder's environment for `parley`: its state stores where PARLEY_TEST_STORAGE puts them (test-storage.ts). */
const environments = new Map<string, NodeJS.ProcessEnv>();

async function tempData(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  dataDirs.push(dir);
  environments.set(dir, storageEnv(await testStorageSettings(dir)));
  return dir;
}

afterEach(() => {
  for (const dir of dataDirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
    environments.delete(dir);
  }
});

function run(dataDir: string, ...args: string[]) {
  return spawnSync(process.execPath, [parley, '--data', dataDir, ...args], { encoding: 'utf8', input: '', env: environments.get(dataDir) });
}

interface Started { child: ChildProcess; ports: { c2s: number; c2sTls: number; http: number }; lines: string[] }

/** `parley start` on free ports; resolves with the ports from the machine-readable listening line. */
function start(dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, [parley, 'start'], {
    env: { ...environments.get(dataDir), PARLEY_DATA: dataDir, PARLEY_C2S_PORT: '0', PARLEY_C2S_TLS_PORT: '0', PARLEY_S2S_PORT: '0', PARLEY_HTTP_PORT: '0', PARLEY_HTTPS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      // uWebSockets.js prints two plain lines per HTTPS server name on stdout (transport/server-names.ts)
      if (!line.startsWith('{')) return;
      const parsed = JSON.parse(line) as { event?: string; ports?: Started['ports'] };
      if (parsed.event === 'listening') resolve({ child, ports: parsed.ports!, lines });
    });
    child.once('exit', (code) => reject(new Error(`parley start exited with ${code}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('parley domain and user commands', () => {
  it('adds a domain and a user, changes the password, deletes the user', async () => {
    const data = await tempData();
    expect(run(data, 'domain', 'add', 'example.com').stdout).toContain('domain example.com added');
    expect(run(data, 'domain', 'list').stdout).toContain('example.com');
    expect(run(data, 'user', 'add', 'alice@example.com', '--password', 'first', '--name', 'Alice Liddell').status).toBe(0);

    const refused = run(data, 'user', 'add', 'alice@example.com', '--password', 'again');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('already exists');
    const unknownDomain = run(data, 'user', 'add', 'bob@elsewhere.test', '--password', 'x');
    expect(unknownDomain.stderr).toContain('parley domain add elsewhere.test');

    const passwd = spawnSync(process.execPath, [parley, '--data', data, 'user', 'passwd', 'alice@example.com'],
      { encoding: 'utf8', input: 'second\n', env: environments.get(data) });
    expect(passwd.status).toBe(0);

    const server = await start(data);
    try {
      const login = (password: string) => {
        const xmpp = acceptTestCertificate(xmppClient({ service: `xmpps://127.0.0.1:${server.ports.c2sTls}`, domain: 'example.com', username: 'alice', password }));
        xmpp.reconnect.stop();
        xmpp.on('error', () => {});
        return startClient(xmpp).then(async () => { await xmpp.stop(); return true; }, () => false);
      };
      expect(await login('first')).toBe(false);
      expect(await login('second')).toBe(true);
      // accounts are read at login time: deleting one takes effect on a running server
      expect(run(data, 'user', 'del', 'alice@example.com').status).toBe(0);
      expect(await login('second')).toBe(false);
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    // eight node processes one after another (six CLI runs, a server, its logins): on a loaded
    // two-core machine each start takes seconds, so the 20 s default is this test's typical time
  }, 60_000);
});

describe('parley start', () => {
  it('serves localhost with no set-up and says how to add a user', async () => {
    const server = await start(await tempData());
    try {
      const listening = JSON.parse(server.lines.find((line) => line.includes('"listening"'))!) as { domains: string[] };
      // every served name: the account domain, its MUC service (components/muc/), its XEP-0363 upload service
      // and its XEP-0060 pubsub service (components/pubsub/)
      expect(listening.domains).toEqual(['localhost', 'conference.localhost', 'upload.localhost', 'pubsub.localhost']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(server.lines.join('\n')).toContain('npx parley user add alice@localhost');
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    // an idle server stops all the way (storage flushed) before it exits
    expect(server.lines.at(-1)).toContain('"event":"stopped"');
  });

  it('ends every stream with system-shutdown on SIGTERM and exits 0', async () => {
    const data = await tempData();
    run(data, 'domain', 'add', 'example.com');
    const server = await start(data);
    const raw = await connectTcp(server.ports.c2s);
    raw.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>");
    await raw.waitFor('</stream:features>');
    const code = exited(server.child);
    server.child.kill('SIGTERM');
    await raw.closed;
    expect(raw.received).toMatch(/<stream:error><system-shutdown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>.*<\/stream:error><\/stream:stream>$/);
    expect(await code).toBe(0);
  });
});

describe('parley start, stopped at once', () => {
  it('a SIGTERM as soon as it says it is listening is a clean stop: "stopped" logged, exit status 0', async () => {
    const data = await tempData();
    run(data, 'domain', 'add', 'example.com');
    const server = await start(data);
    // 'close': the exit and the end of its output
    const code = new Promise<number | null>((resolve) => server.child.once('close', (status) => resolve(status)));
    server.child.kill('SIGTERM');
    expect(await code).toBe(0);
    expect(server.lines.some((line) => line.includes('"event":"stopped"'))).toBe(true);
  });
});

describe('parley start with a port that is taken', () => {
  /** Hold `port` on 127.0.0.1: with node:net, or with uWS as another Parley would (SO_REUSEPORT). */
  async function occupy(port: number, by: 'net' | 'uws'): Promise<() => void> {
    if (by === 'uws') {
      const socket = await new Promise<uWS.us_listen_socket>((resolve, reject) =>
        uWS.App().listen('127.0.0.1', port, (listening) => (listening ? resolve(listening) : reject(new Error('cannot occupy')))));
      return () => uWS.us_listen_socket_close(socket);
    }
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return () => server.close();
  }

  it.each([
    ['c2s.port', 'PARLEY_C2S_PORT', 'net'],
    ['c2s.tlsPort', 'PARLEY_C2S_TLS_PORT', 'net'],
    ['http.port', 'PARLEY_HTTP_PORT', 'uws'],
    ['http.tlsPort', 'PARLEY_HTTPS_PORT', 'net'],
    ['s2s.port', 'PARLEY_S2S_PORT', 'net'],
  ] as const)('%s in use: one line naming the port and the setting, exit status 1', async (key, env, by) => {
    const data = await tempData();
    const port = await freePortBelowEphemeral();
    const release = await occupy(port, by);
    try {
      const [section, name] = key.split('.') as [string, string];
      const config = join(data, 'config.json');
      writeFileSync(config, JSON.stringify({ bind: '127.0.0.1', c2s: { port: 0, tlsPort: 0 }, s2s: { port: 0 }, http: { port: 0, tlsPort: 0 }, log: { level: 'warn' } }));
      const child = spawn(process.execPath, [parley, '--data', data, '--config', config, 'start'], {
        env: { ...environments.get(data), PARLEY_C2S_PORT: '0', PARLEY_C2S_TLS_PORT: '0', PARLEY_S2S_PORT: '0', PARLEY_HTTP_PORT: '0', PARLEY_HTTPS_PORT: '0', [env]: String(port) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      expect(await exited(child)).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        `parley: cannot listen on 127.0.0.1:${port}: the port is already in use; set ${section}.${name} (or ${env}) to another port`,
      ]);
    } finally {
      release();
    }
  });
});
