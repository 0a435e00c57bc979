// Debian's Prosody 0.12 as a federation peer: its own config, data, log and certificate folders
// under a temp dir, on its own loopback address and domain, run as the `prosody` user (setpriv;
// never as root), stopped by PID.
//
// DNS: Prosody resolves SRV and A/AAAA through libunbound when lua-unbound is installed (Debian
// `lua-unbound`; without it, its old resolver reads /etc/resolv.conf and always asks port 53).
// The config's `unbound` table goes to libunbound (net/unbound.lua → lunbound.new):
//   unbound = { resolvconf = false; hoststxt = false; forward = { "127.0.0.1@5353" } }
// forwards every query to the test DNS server on its port (ub_ctx_set_fwd takes addr@port), and
// reads neither /etc/resolv.conf nor /etc/hosts.
import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePortBelowEphemeral } from './ports.ts';
import { acceptsTcp, startProcess, type RunningProcess } from './processes.ts';
import type { CertificateFiles } from './test-ca.ts';
import type { TestDns } from './unbound.ts';
import { systemUser } from './system-user.ts';

export interface PeerOptions {
  domain: string;
  /** its own loopback address, e.g. 127.0.0.20 */
  address: string;
  dns: TestDns;
  /** the domain's certificate (self-signed for dialback, CA-signed for SASL EXTERNAL) */
  certificate: CertificateFiles;
  /** CA bundle trusted for peers' certificates (the test CA), beside nothing else */
  trustedCaFile?: string;
  /** true: only certificate-authenticated s2s, no dialback (Prosody s2s_secure_auth; ejabberd without mod_s2s_dialback, as 23.01 dropped required_trusted) */
  requireValidCertificates?: boolean;
  /** s2s port on `address` (default: a free one; publish it in the SRV record) */
  s2sPort?: number;
  /** Prosody only: also listen for direct TLS (XEP-0368) c2s and s2s, on free ports */
  directTls?: boolean;
  /** Prosody only: more VirtualHosts, served with the same certificate */
  extraHosts?: string[];
}

export interface XmppPeer {
  readonly domain: string;
  readonly address: string;
  readonly c2sPort: number;
  readonly s2sPort: number;
  /** direct TLS ports (PeerOptions.directTls), else null */
  readonly c2sTlsPort: number | null;
  readonly s2sTlsPort: number | null;
  readonly dir: string;
  /** The SRV and A records that make this peer reachable: for TestDns.setZone. */
  zone(): string[];
  register(user: string, password: string): Promise<void>;
  /** Its whole log (stdout and log file). */
  log(): string;
  stop(): Promise<void>;
}

const run = promisify(execFile);

export async function startProsody(options: PeerOptions): Promise<XmppPeer> {
  const user = systemUser('prosody');
  const dir = mkdtempSync(join(tmpdir(), 'parley-prosody-'));
  const [c2sPort, s2sPort] = [await freePortBelowEphemeral(), options.s2sPort ?? (await freePortBelowEphemeral())];
  const tlsPorts = options.directTls ? { c2s: await freePortBelowEphemeral(), s2s: await freePortBelowEphemeral() } : null;
  for (const sub of ['data', 'certs']) mkdirSync(join(dir, sub));
  const certs = join(dir, 'certs');
  writeFileSync(join(certs, `${options.domain}.key`), options.certificate.keyPem, { mode: 0o600 });
  writeFileSync(join(certs, `${options.domain}.crt`), options.certificate.certPem);
  if (options.trustedCaFile) writeFileSync(join(certs, 'ca.crt'), readText(options.trustedCaFile));
  const configFile = join(dir, 'prosody.cfg.lua');
  writeFileSync(configFile, prosodyConfig(dir, options, c2sPort, s2sPort, tlsPorts));
  chownTree(dir, user.uid, user.gid, ['data', 'certs', 'prosody.cfg.lua']);
  const asProsody = { uid: user.uid, gid: user.gid, env: { ...process.env, HOME: dir } };
  let running: RunningProcess;
  try {
    running = await startProcess(`prosody ${options.domain}`, '/usr/bin/prosody', ['--config', configFile, '-F'], {
      ...asProsody,
      logFile: join(dir, 'stdout.log'),
      ready: async () => (await acceptsTcp(options.address, c2sPort)) && acceptsTcp(options.address, s2sPort),
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    domain: options.domain, address: options.address, c2sPort, s2sPort, dir,
    c2sTlsPort: tlsPorts?.c2s ?? null, s2sTlsPort: tlsPorts?.s2s ?? null,
    zone: () => peerZone(options.domain, options.address, c2sPort, s2sPort),
    async register(name, password) {
      await run('/usr/bin/prosodyctl', ['--config', configFile, 'register', name, options.domain, password], asProsody);
    },
    log: () => `${running.log()}\n${readText(join(dir, 'prosody.log'))}`,
    async stop() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function prosodyConfig(dir: string, options: PeerOptions, c2sPort: number, s2sPort: number, tlsPorts: { c2s: number; s2s: number } | null): string {
  const certs = join(dir, 'certs');
  const lua = (value: string) => JSON.stringify(value);
  return `-- test peer ${options.domain} (test/helpers/prosody.ts)
pidfile = ${lua(join(dir, 'prosody.pid'))}
data_path = ${lua(join(dir, 'data'))}
log = { { levels = { min = "debug" }, to = "file", filename = ${lua(join(dir, 'prosody.log'))} } }
interfaces = { ${lua(options.address)} }
c2s_ports = { ${c2sPort} }
s2s_ports = { ${s2sPort} }
c2s_direct_tls_ports = { ${tlsPorts?.c2s ?? ''} }
s2s_direct_tls_ports = { ${tlsPorts?.s2s ?? ''} }
http_ports = { }
https_ports = { }
component_ports = { }
network_backend = "epoll"
authentication = "internal_hashed"
storage = "internal"
modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "version"; "vcard_legacy"; "offline" }
modules_disabled = { "posix" }
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = ${options.requireValidCertificates ? 'true' : 'false'}
allow_registration = false
-- every DNS query to the test server (see the comment at the top of prosody.ts)
unbound = { resolvconf = false; hoststxt = false; forward = { ${lua(`${options.dns.host}@${options.dns.port}`)} } }
ssl = { cafile = ${lua(options.trustedCaFile ? join(certs, 'ca.crt') : '/etc/ssl/certs/ca-certificates.crt')} }

${[options.domain, ...(options.extraHosts ?? [])].map((host) => `VirtualHost ${lua(host)}
ssl = {
  key = ${lua(join(certs, `${options.domain}.key`))};
  certificate = ${lua(join(certs, `${options.domain}.crt`))};
  cafile = ${lua(options.trustedCaFile ? join(certs, 'ca.crt') : '/etc/ssl/certs/ca-certificates.crt')};
}
`).join('\n')}`;
}

/**
 * SRV records for c2s and s2s and the A record of their target. The target is the peer's address
 * written as a name (`127.0.0.20.`): ejabberd 23.01 resolves SRV targets with the system's
 * getaddrinfo (xmpp_stream_out a_lookup → net:getaddrinfo), not with its configured DNS, and
 * getaddrinfo takes a numeric name as it is; resolvers that look the name up (Prosody) get its A
 * record from the test DNS. `xmpp.<domain>` carries the same address for tools.
 */
export function peerZone(domain: string, address: string, c2sPort: number, s2sPort: number): string[] {
  return [
    `_xmpp-client._tcp.${domain}. 60 IN SRV 0 5 ${c2sPort} ${address}.`,
    `_xmpp-server._tcp.${domain}. 60 IN SRV 0 5 ${s2sPort} ${address}.`,
    `${address}. 60 IN A ${address}`,
    `xmpp.${domain}. 60 IN A ${address}`,
  ];
}

function chownTree(dir: string, uid: number, gid: number, entries: string[]): void {
  chownSync(dir, uid, gid);
  for (const entry of entries) {
    const path = join(dir, entry);
    chownSync(path, uid, gid);
  }
  for (const file of ['certs'].flatMap((sub) => readdirOf(join(dir, sub)))) chownSync(file, uid, gid);
}

function readdirOf(dir: string): string[] {
  return readdirSync(dir).map((name) => join(dir, name));
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
