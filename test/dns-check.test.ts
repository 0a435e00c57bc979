// `parley dns-check DOMAIN` as an admin runs it, against the test unbound and a real XMPP server
// (Prosody, with direct TLS on, standing in for this server: the CLI's config names its ports), with
// a correct zone and with each fault: missing records, a wrong port, a target without A/AAAA, a
// target not answering, a certificate not valid for the domain.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa } from './helpers/test-ca.ts';
import { dig, startDns, type TestDns } from './helpers/unbound.ts';
import { startProsody, type XmppPeer } from './helpers/prosody.ts';

const parley = join(import.meta.dirname, '../server/bin/parley.js');
const ADDRESS = '127.0.0.22';
const COVERED = ['chat.example', 'missing.example', 'wrongport.example', 'noaddr.example', 'closed.example'];

let dns: TestDns;
let prosody: XmppPeer;
let scratch: string;
let configFile: string;

/** The four SRV records of `domain`, as this server's ports want them, at `target` (changes per fault). */
function srv(domain: string, change: { clientPort?: number; serverTarget?: string } = {}): string[] {
  return [
    `_xmpp-client._tcp.${domain}. 60 IN SRV 5 0 ${change.clientPort ?? prosody.c2sPort} xmpp.${domain}.`,
    `_xmpps-client._tcp.${domain}. 60 IN SRV 5 0 ${prosody.c2sTlsPort} xmpp.${domain}.`,
    `_xmpp-server._tcp.${domain}. 60 IN SRV 5 0 ${prosody.s2sPort} ${change.serverTarget ?? `xmpp.${domain}`}.`,
    `_xmpps-server._tcp.${domain}. 60 IN SRV 5 0 ${prosody.s2sTlsPort} xmpp.${domain}.`,
  ];
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'parley-dns-check-'));
  const ca = await createTestCa(join(scratch, 'ca'));
  dns = await startDns({});
  // one certificate for every test domain but wrongcert.example
  const certificate = await ca.issue('chat.example', join(scratch, 'certs'), { names: COVERED });
  prosody = await startProsody({
    domain: 'chat.example', address: ADDRESS, dns, certificate, trustedCaFile: ca.certFile, directTls: true,
    extraHosts: [...COVERED.slice(1), 'wrongcert.example'],
  });
  const address = (domain: string) => `xmpp.${domain}. 60 IN A ${ADDRESS}`;
  await dns.setZone('chat.example', [...srv('chat.example'), address('chat.example')]);
  await dns.setZone('missing.example', ['missing.example. 60 IN A 127.0.0.22']);
  await dns.setZone('wrongport.example', [...srv('wrongport.example', { clientPort: 5999 }), address('wrongport.example')]);
  await dns.setZone('noaddr.example', [...srv('noaddr.example', { serverTarget: 'ghost.noaddr.example' }), address('noaddr.example')]);
  await dns.setZone('closed.example', [...srv('closed.example', { serverTarget: 'down.closed.example' }), address('closed.example'),
    'down.closed.example. 60 IN A 127.0.0.99']);
  await dns.setZone('wrongcert.example', [...srv('wrongcert.example'), address('wrongcert.example')]);
  configFile = join(scratch, 'parley.json');
  writeFileSync(configFile, JSON.stringify({
    dataDir: join(scratch, 'data'),
    c2s: { port: prosody.c2sPort, tlsPort: prosody.c2sTlsPort },
    s2s: { port: prosody.s2sPort, tlsPort: prosody.s2sTlsPort, trustedCaFile: ca.certFile },
    dns: { servers: [dns.server], timeoutMs: 2000 },
  }));
}, 60_000);

afterAll(async () => {
  await prosody?.stop();
  await dns?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function dnsCheck(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [parley, '--config', configFile, 'dns-check', ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const problems = (stdout: string) => stdout.split('\n').filter((line) => /^;   _xmpps?-/.test(line)).map((line) => line.slice(4));

describe('parley dns-check', () => {
  it('a correct zone: the records to paste, the live answers as dig has them, no problem, exit 0', async () => {
    const { status, stdout } = await dnsCheck('chat.example', '--target', 'xmpp.chat.example');
    expect(stdout).toContain(`_xmpp-client._tcp.chat.example. 86400 IN SRV 5 0 ${prosody.c2sPort} xmpp.chat.example.`);
    expect(stdout).toContain(`_xmpps-client._tcp.chat.example. 86400 IN SRV 5 0 ${prosody.c2sTlsPort} xmpp.chat.example.`);
    expect(stdout).toContain(`_xmpp-server._tcp.chat.example. 86400 IN SRV 5 0 ${prosody.s2sPort} xmpp.chat.example.`);
    expect(stdout).toContain(`_xmpps-server._tcp.chat.example. 86400 IN SRV 5 0 ${prosody.s2sTlsPort} xmpp.chat.example.`);
    // the live answer is dig's answer line (without the TTL column for SRV)
    const digLine = (await dig(dns, 'SRV', '_xmpp-server._tcp.chat.example')).trim().split(/\s+/);
    expect(stdout).toContain([digLine[0], 'IN', 'SRV', digLine.slice(4).join(' ')].join('\t'));
    expect(stdout).toContain(`xmpp.chat.example.\t60\tIN\tA\t${ADDRESS}`);
    expect(stdout).toMatch(new RegExp(`${ADDRESS}:${prosody.s2sPort}: XMPP, STARTTLS, certificate CN=chat.example`));
    expect(stdout).toMatch(new RegExp(`${ADDRESS}:${prosody.s2sTlsPort}: XMPP over TLS, certificate CN=chat.example`));
    expect(problems(stdout)).toEqual([]);
    expect(stdout).toContain('; chat.example: every record is in place and every target answers');
    expect(status).toBe(0);
  });

  it('missing records', async () => {
    const { status, stdout } = await dnsCheck('missing.example');
    expect(problems(stdout)).toEqual([
      "_xmpp-client: missing: no _xmpp-client._tcp.missing.example. SRV record (peers fall back to missing.example's own A/AAAA on port 5222)",
      '_xmpps-client: missing: no _xmpps-client._tcp.missing.example. SRV record',
      "_xmpp-server: missing: no _xmpp-server._tcp.missing.example. SRV record (peers fall back to missing.example's own A/AAAA on port 5269)",
      '_xmpps-server: missing: no _xmpps-server._tcp.missing.example. SRV record',
    ]);
    expect(stdout).toContain(';   NXDOMAIN');
    expect(status).toBe(1);
  });

  it('a wrong port', async () => {
    const { status, stdout } = await dnsCheck('wrongport.example');
    expect(problems(stdout)).toContain(`_xmpp-client: wrong port: xmpp.wrongport.example:5999, this server listens on ${prosody.c2sPort}`);
    expect(problems(stdout).filter((line) => !line.startsWith('_xmpp-client:'))).toEqual([]);
    expect(status).toBe(1);
  });

  it('a target without A/AAAA', async () => {
    const { status, stdout } = await dnsCheck('noaddr.example');
    expect(problems(stdout)).toEqual([expect.stringMatching(/^_xmpp-server: the target ghost\.noaddr\.example has no A\/AAAA record/)]);
    expect(stdout).toContain(';   ghost.noaddr.example. A/AAAA: NXDOMAIN');
    expect(status).toBe(1);
  });

  it('a target not answering on the port', async () => {
    const { status, stdout } = await dnsCheck('closed.example');
    expect(problems(stdout)).toEqual([expect.stringMatching(new RegExp(`^_xmpp-server: down\\.closed\\.example:${prosody.s2sPort} \\(127\\.0\\.0\\.99\\) is not answering on the port`))]);
    expect(status).toBe(1);
  });

  it('a certificate not valid for the domain', async () => {
    const { status, stdout } = await dnsCheck('wrongcert.example');
    const found = problems(stdout);
    expect(found).toHaveLength(4); // every service presents the other domains' certificate
    for (const line of found) expect(line).toMatch(/certificate from xmpp\.wrongcert\.example:\d+ \(127\.0\.0\.22\) not valid for wrongcert\.example: the certificate's names \(chat\.example, .*\) do not cover wrongcert\.example/);
    expect(status).toBe(1);
  });
});
