// Logs an admin can read (issue 17): every refused login and throttled attempt at info or warn with
// the account, the address and the reason; domain changes; and the final "stopped" line, always
// written before the process exits on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { connectTcp, scramAuthenticate, streamHeader } from './helpers/raw-stream.ts';

const INFO = 30;
const WARN = 40;

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    captureLogs: true,
    users: { 'alice@example.com': 'right password' },
    // plaintext on loopback: these logins are about the log, not TLS; throttle after 2 failures
    config: { c2s: { allowPlaintextOnLoopback: true }, limits: { authFailures: 2, authDelayMs: 50, authMaxDelayMs: 100 } },
  });
});
afterAll(() => server.stop());

/** One SCRAM attempt on a fresh stream; resolves with the server's answer (success or failure). */
async function attempt(username: string, password: string): Promise<string> {
  const peer = await connectTcp(server.ports.c2s);
  peer.send(streamHeader());
  await peer.receiveHeader();
  await peer.receiveFeatures();
  const answer = await scramAuthenticate(peer, username, password);
  peer.destroy();
  return answer.name;
}

const lines = (msg: string) => server.logs.filter((line) => line.msg === msg);

describe('refused logins', () => {
  it('each is logged at info with the account, the address and the reason', async () => {
    expect(await attempt('alice', 'wrong')).toBe('failure');
    expect(lines('login refused')).toContainEqual(expect.objectContaining({
      level: INFO, account: 'alice@example.com', address: '127.0.0.1', condition: 'not-authorized', reason: 'wrong password or unknown account',
    }));
    expect(await attempt('nobody', 'whatever')).toBe('failure');
    expect(lines('login refused')).toContainEqual(expect.objectContaining({ account: 'nobody@example.com', address: '127.0.0.1' }));
  });

  it('every throttled attempt is logged: the first at warn, the next ones at info; a refused one says why', async () => {
    // two failures above are over the threshold: from now on attempts from this address are spaced out
    expect(await attempt('alice', 'wrong again')).toBe('failure');
    expect(await attempt('alice', 'and again')).toBe('failure');
    const delayed = lines('login delayed: too many failed logins from this address');
    expect(delayed.map((line) => line.level)).toEqual([WARN, INFO]);
    for (const line of delayed) expect(line).toMatchObject({ account: 'alice@example.com', address: '127.0.0.1', delayMs: expect.any(Number) });
    // parallel attempts queue; the ones that would wait longer than the longest delay are refused
    const answers = await Promise.all(Array.from({ length: 6 }, () => attempt('alice', 'guess')));
    expect(answers).toContain('failure');
    const refused = lines('login refused').filter((line) => String(line.reason).startsWith('Too many failed logins from your address'));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ level: INFO, account: 'alice@example.com', address: '127.0.0.1' });
    expect(lines('login refused: too many failed logins from this address').length).toBe(refused.length);
  });
});

describe('domain changes', () => {
  it('are logged with the domain: added, IM settings, removed, and the names served', async () => {
    await server.server.admin.addDomain('new.example');
    await expect.poll(() => lines('now serving').some((line) => line.domain === 'new.example')).toBe(true);
    await server.server.admin.setDomainIm('new.example', { enabled: false });
    await server.server.admin.removeDomain('new.example');
    await expect.poll(() => lines('no longer serving').some((line) => line.domain === 'new.example')).toBe(true);
    const changes = lines('domain changed').filter((line) => line.domain === 'new.example').map((line) => [line.level, line.event]);
    expect(changes).toEqual([[INFO, 'domain.created'], [INFO, 'domain.im'], [INFO, 'domain.removed']]);
  });
});

describe('parley start on SIGTERM', () => {
  const parley = join(import.meta.dirname, '../server/bin/parley.js');

  // `npm start` runs the server through `sh -c`: without `exec` in the script the shell took the
  // signal, and the server went on running, orphaned, with its "stopped" line never written
  const commands = [[process.execPath, parley, 'start'], ['npm', 'start'], ['npm', 'start']] as const;

  it('writes "stopped" as its last line before it exits, with streams open (stdout read to the end); also under npm start', { timeout: 90_000 }, async () => {
    for (const [command, ...args] of commands) {
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-stop-'));
      let group = 0;
      try {
        const child = spawn(command, args, {
          cwd: join(import.meta.dirname, '..'),
          env: { ...process.env, PARLEY_DATA: dataDir, PARLEY_C2S_PORT: '0', PARLEY_C2S_TLS_PORT: '-1', PARLEY_HTTP_PORT: '0', PARLEY_HTTPS_PORT: '-1', PARLEY_LOG_LEVEL: 'debug' },
          stdio: ['ignore', 'pipe', 'inherit'],
          // its own process group: whatever is left of it when the test fails is killed with it
          detached: true,
        });
        group = child.pid!;
        let output = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (text: string) => { output += text; });
        const ended = new Promise<void>((resolve) => child.stdout.once('end', () => resolve()));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        await expect.poll(() => output.includes('"event":"listening"'), { timeout: 30_000 }).toBe(true);
        const { ports } = JSON.parse(output.split('\n').find((line) => line.includes('"event":"listening"'))!) as { ports: { c2s: number } };
        // streams that are open when the signal comes, and log lines being written as it comes
        const peers = await Promise.all(Array.from({ length: 10 }, () => connectTcp(ports.c2s)));
        for (const peer of peers) peer.send(streamHeader({ to: 'localhost' }));
        await Promise.all(peers.map((peer) => peer.receiveHeader()));
        for (const peer of peers) peer.send('<not-a-stanza/>');
        child.kill('SIGTERM');
        await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error(`${command} ${args.join(' ')}: output still open 20 s after SIGTERM`)), 20_000))]);
        expect(await exited).toBe(0);
        const last = output.trim().split('\n').at(-1)!;
        expect(JSON.parse(last)).toMatchObject({ event: 'stopped' });
        for (const peer of peers) peer.destroy();
      } finally {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // the group is gone: the normal case
        }
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});
