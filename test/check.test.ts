// `parley check` on a good set-up and on each broken one: a real `parley` process per run, with a
// real unbound for DNS, a real nats-server, a running Parley on the checked ports, and certificate
// files made by openssl.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePortBelowEphemeral } from './helpers/ports.ts';
import { closedPort, startNatsServer } from './helpers/suite.ts';
import { createTestCa, selfSignedCertificate } from './helpers/test-ca.ts';
import { startDns, type TestDns } from './helpers/unbound.ts';

const parley = join(import.meta.dirname, '../server/bin/parley.js');
const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface SetUp { dir: string; data: string; configFile: string; config: Record<string, unknown> }

/** A data folder serving example.com (made by the CLI), a config file on free loopback ports. */
async function setUp(extra: Record<string, unknown> = {}): Promise<SetUp> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-check-'));
  folders.push(dir);
  const data = join(dir, 'data');
  const config = {
    domains: ['example.com'], bind: '127.0.0.1', dataDir: data,
    c2s: { port: await freePortBelowEphemeral(), tlsPort: await freePortBelowEphemeral() },
    http: { port: await freePortBelowEphemeral(), tlsPort: await freePortBelowEphemeral() },
    ...extra,
  };
  const configFile = join(dir, 'parley.json');
  writeFileSync(configFile, JSON.stringify(config));
  expect(run(configFile, 'domain', 'add', 'example.com').status).toBe(0);
  return { dir, data, configFile, config };
}

function run(configFile: string, ...args: string[]) {
  return spawnSync(process.execPath, [parley, '--config', configFile, ...args], { encoding: 'utf8', input: '', env: { ...process.env, PARLEY_DATA: '' } });
}

/**
 * `parley check` → its exit status and its finding lines as "severity area text". A child process
 * the test waits for without blocking: services the test itself runs must answer meanwhile.
 */
async function check(configFile: string, ...args: string[]) {
  const child = spawn(process.execPath, [parley, '--config', configFile, 'check', '--timeout', '2000', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PARLEY_DATA: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
  child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = stdout.split('\n').filter((line) => /^(ok|note|warning|problem) /.test(line)).map((line) => line.replace(/\s+/g, ' '));
  return { status, lines, stdout, stderr };
}

describe('parley check', () => {
  it('a good set-up: every port free, the folder private, exit status 0', async () => {
    const { configFile, config } = await setUp();
    const result = await check(configFile, '--skip', 'dns');
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.lines).toContain(`ok config the configuration (${configFile}) is valid (domains: example.com)`);
    for (const [setting, port] of [['c2s.port', (config.c2s as { port: number }).port], ['http.tlsPort', (config.http as { tlsPort: number }).tlsPort]] as const) {
      expect(result.lines).toContain(`ok ports ${setting} ${port} is free on 127.0.0.1`);
    }
    expect(result.lines.some((line) => line.startsWith('ok data ') && line.endsWith('are private to their owner'))).toBe(true);
    expect(result.stdout).toContain('no problem found');
  });

  it('a configuration file that is not JSON, or holds a bad value, is a problem that names it', async () => {
    const { dir } = await setUp();
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "c2s": { "port": 5222, } }');
    let result = await check(broken);
    expect(result.status).toBe(1);
    expect(result.lines[0]).toMatch(/^problem config .*broken\.json cannot be used: .*JSON/);
    writeFileSync(broken, JSON.stringify({ c2s: { port: 'five' }, limits: { rosterItems: 1 } }));
    result = await check(broken);
    expect(result.status).toBe(1);
    expect(result.lines[0]).toContain('c2s.port:');
    expect(result.lines[0]).toContain('limits.rosterItems:');
  });

  it('options for a module this build does not have are a warning', async () => {
    const { configFile } = await setUp({ modules: { mcu: { rooms: 3 } } });
    const result = await check(configFile, '--skip', 'dns,ports');
    expect(result.status).toBe(0);
    expect(result.lines.find((line) => line.startsWith('warning config modules.mcu'))).toContain('names no module of this build');
  });

  it('a data folder and database that other users can read are problems, with the chmod to run', async () => {
    const { configFile, data } = await setUp();
    chmodSync(data, 0o755);
    chmodSync(join(data, 'parley.db'), 0o644);
    const result = await check(configFile, '--skip', 'dns,ports');
    expect(result.status).toBe(1);
    expect(result.lines).toContain(`problem data ${data} is open to other users (mode 0755)`);
    expect(result.lines).toContain(`problem data ${join(data, 'parley.db')} is readable by other users (mode 0644)`);
    expect(result.stdout).toContain(`→ chmod 700 ${data}`);
    expect(result.stdout).toContain(`→ chmod 600 ${join(data, 'parley.db')}`);
  });

  it('a port held by another program is a problem; the ports of this Parley, running, are not', async () => {
    const { configFile, config } = await setUp();
    const c2sPort = (config.c2s as { port: number }).port;
    const held = new Set<net.Socket>();
    const squatter = net.createServer((socket) => {
      held.add(socket);
      socket.on('error', () => {}).end('hello\r\n');
    });
    await new Promise<void>((resolve) => squatter.listen(c2sPort, '127.0.0.1', resolve));
    try {
      const result = await check(configFile, '--skip', 'dns');
      expect(result.status).toBe(1);
      expect(result.lines).toContain(`problem ports c2s.port ${c2sPort} is in use by another program`);
      expect(result.stdout).toContain('→ stop that program, or set c2s.port to a free port');
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => squatter.close(resolve));
    }

    const server = spawn(process.execPath, [parley, '--config', configFile, 'start'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PARLEY_DATA: '' } });
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: server.stdout! }).on('line', (line) => {
          if (line.includes('"event":"listening"')) resolve();
        });
        server.once('exit', (code) => reject(new Error(`parley start exited with ${code}`)));
      });
      const result = await check(configFile, '--skip', 'dns');
      expect(result.status, result.stdout).toBe(0);
      for (const setting of ['c2s.port', 'c2s.tlsPort', 'http.port', 'http.tlsPort']) {
        expect(result.lines.find((line) => line.startsWith(`ok ports ${setting} `))).toContain('is in use by this Parley');
      }
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  }, 60_000);

  it('certificates: expired, a key of another certificate, a chain to an unknown CA are problems; a trusted chain is ok', async () => {
    const { dir, configFile, data } = await setUp();
    const certs = join(data, 'certs');
    mkdirSync(certs, { recursive: true });
    const ca = await createTestCa(join(dir, 'ca'));
    await ca.issue('example.com', certs);
    chmodSync(join(certs, 'example.com.key'), 0o600);
    let result = await check(configFile, '--skip', 'dns,ports');
    expect(result.status).toBe(1);
    expect(result.lines.find((line) => line.startsWith('problem certificates example.com: the chain ends at CN=Parley Test CA'))).toBeDefined();

    const trusting = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(configFile, 'utf8'))) as Record<string, unknown>;
    const trustedConfig = join(dir, 'trusting.json');
    writeFileSync(trustedConfig, JSON.stringify({ ...trusting, s2s: { trustedCaFile: ca.certFile } }));
    result = await check(trustedConfig, '--skip', 'dns,ports');
    expect(result.status, result.stdout).toBe(0);
    expect(result.lines.find((line) => line.startsWith('ok certificates example.com: issued by CN=Parley Test CA'))).toBeDefined();

    // a key that belongs to another certificate
    const other = await selfSignedCertificate('example.com', join(dir, 'other'));
    copyFileSync(other.key, join(certs, 'example.com.key'));
    result = await check(trustedConfig, '--skip', 'dns,ports');
    expect(result.status).toBe(1);
    expect(result.lines.find((line) => line.startsWith('problem certificates example.com') && line.endsWith('the key does not match the certificate'))).toBeDefined();

    // an expired certificate: valid from 10 to 2 days ago
    const expired = await generate([{ name: 'commonName', value: 'example.com' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate: new Date(Date.now() - 10 * 86_400_000), notAfterDate: new Date(Date.now() - 2 * 86_400_000),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'example.com' }] }],
    });
    writeFileSync(join(certs, 'example.com.key'), expired.private, { mode: 0o600 });
    writeFileSync(join(certs, 'example.com.crt'), `${expired.cert.trim()}\n`);
    result = await check(trustedConfig, '--skip', 'dns,ports');
    expect(result.status).toBe(1);
    expect(result.lines.find((line) => line.startsWith('problem certificates example.com') && line.includes('the certificate expired on')), result.stdout).toBeDefined();
  }, 60_000);

  describe('DNS records and outside services', () => {
    let dns: TestDns;
    beforeAll(async () => { dns = await startDns({}); });
    afterAll(async () => { await dns?.stop(); });

    it('the SRV records of a domain: in place is ok, missing is a problem pointing at dns-check', async () => {
      const { configFile, config } = await setUp({ dns: { servers: [dns.server], timeoutMs: 2000 }, s2s: { port: 5269 } });
      const c2s = config.c2s as { port: number; tlsPort: number };
      await dns.setZone('example.com', [
        `_xmpp-client._tcp.example.com. 60 IN SRV 5 0 ${c2s.port} xmpp.example.com.`,
        `_xmpps-client._tcp.example.com. 60 IN SRV 5 0 ${c2s.tlsPort} xmpp.example.com.`,
        '_xmpp-server._tcp.example.com. 60 IN SRV 5 0 5269 xmpp.example.com.',
        'xmpp.example.com. 60 IN A 127.0.0.1',
      ]);
      let result = await check(configFile, '--skip', 'ports,certificates');
      expect(result.status, result.stdout).toBe(0);
      expect(result.lines).toContain('ok dns example.com: _xmpp-client, _xmpps-client, _xmpp-server records in place');

      await dns.setZone('example.com', ['example.com. 60 IN A 127.0.0.1']);
      result = await check(configFile, '--skip', 'ports,certificates');
      expect(result.status).toBe(1);
      expect(result.lines.find((line) => line.startsWith('problem dns example.com: missing: no _xmpp-client._tcp.example.com. SRV record'))).toBeDefined();
      expect(result.stdout).toContain('→ `parley dns-check example.com` prints the records to add');
    }, 60_000);

    it('NATS, the core and Elasticsearch: reachable ones are ok, unreachable ones are problems', async () => {
      const nats = await startNatsServer();
      const core = http.createServer((_req, res) => res.writeHead(404).end());
      await new Promise<void>((resolve) => core.listen(0, '127.0.0.1', resolve));
      const corePort = (core.address() as net.AddressInfo).port;
      const deadNats = await closedPort();
      const deadElastic = await closedPort();
      try {
        const { configFile } = await setUp({
          coreAuth: { url: `http://127.0.0.1:${corePort}/auth` },
          bus: { nats: { servers: [nats.url, `nats://127.0.0.1:${deadNats}`] } },
          archive: { backend: 'elasticsearch', elasticsearch: { nodes: [`http://127.0.0.1:${deadElastic}`] } },
        });
        const result = await check(configFile, '--skip', 'dns,ports,certificates');
        expect(result.status, result.stdout).toBe(1);
        expect(result.lines, result.stdout).toContain(`ok services coreAuth http://127.0.0.1:${corePort}/auth answers (HTTP 404)`);
        expect(result.lines.find((line) => line.startsWith(`ok services bus.nats ${nats.url} answers (nats-server `))).toBeDefined();
        expect(result.lines.find((line) => line.startsWith(`problem services bus.nats nats://127.0.0.1:${deadNats} is not a reachable NATS server`))).toBeDefined();
        expect(result.lines.find((line) => line.startsWith(`problem services archive.elasticsearch http://127.0.0.1:${deadElastic} cannot be reached: `))).toBeDefined();
      } finally {
        await nats.stop();
        await new Promise((resolve) => core.close(resolve));
      }
    }, 60_000);
  });
});

