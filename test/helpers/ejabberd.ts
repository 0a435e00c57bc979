// Debian's ejabberd 23.01 as a federation peer: its own config folder (ejabberd.yml, ejabberdctl.cfg,
// inetrc), spool, logs and certificates under a temp dir, its own loopback address and domain, run
// as the `ejabberd` user (uid/gid given to spawn: no su, no PAM session resetting the descriptor
// limit), its own process group, stopped with `ejabberdctl stop` and then by signal.
//
// No epmd: ejabberdctl.cfg sets ERL_DIST_PORT, so the node listens for ejabberdctl on that port
// (`-erl_epmd_port … -start_epmd false`) and nothing keeps running after stop.
//
// DNS: ejabberd resolves SRV (xmpp_stream_out → inet_res) and the targets' addresses (inet:gethostbyname)
// through Erlang's resolver, configured by the inetrc file in its config folder (ejabberdctl exports
// ERL_INETRC=$CONFIG_DIR/inetrc):
//   {resolv_conf, ""}.                  % not /etc/resolv.conf (first: set later, it clears the list)
//   {nameserver, {127,0,0,1}, 5353}.   % the test DNS server and its port
//   {lookup, [file, dns]}.              % /etc/hosts (localhost, for the node name), then DNS
import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePortBelowEphemeral } from './ports.ts';
import { acceptsTcp, startProcess, type RunningProcess } from './processes.ts';
import { peerZone, type PeerOptions, type XmppPeer } from './prosody.ts';
import { systemUser } from './system-user.ts';

const run = promisify(execFile);

export async function startEjabberd(options: PeerOptions): Promise<XmppPeer> {
  const user = systemUser('ejabberd');
  const dir = mkdtempSync(join(tmpdir(), 'parley-ejabberd-'));
  const [c2sPort, distPort] = [await freePortBelowEphemeral(), await freePortBelowEphemeral()];
  const s2sPort = options.s2sPort ?? (await freePortBelowEphemeral());
  const etc = join(dir, 'etc');
  for (const sub of ['etc', 'db', 'log', 'certs']) mkdirSync(join(dir, sub));
  // ejabberd takes key and certificate in one PEM file
  writeFileSync(join(dir, 'certs', `${options.domain}.pem`), `${options.certificate.keyPem}${options.certificate.certPem}`, { mode: 0o600 });
  if (options.trustedCaFile) writeFileSync(join(dir, 'certs', 'ca.crt'), readFileSync(options.trustedCaFile));
  writeFileSync(join(etc, 'ejabberd.yml'), ejabberdConfig(dir, options, c2sPort, s2sPort));
  writeFileSync(join(etc, 'ejabberdctl.cfg'), [
    `ERLANG_NODE=parley-peer-${randomBytes(4).toString('hex')}@localhost`,
    `EJABBERD_PID_PATH=${join(dir, 'ejabberd.pid')}`,
    `ERL_DIST_PORT=${distPort}`,
    'INET_DIST_INTERFACE=127.0.0.1',
    'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"',
    'EJABBERD_BYPASS_WARNINGS=true',
    '',
  ].join('\n'));
  writeFileSync(join(etc, 'inetrc'), [
    // in this order: setting resolv_conf afterwards would clear the nameserver list
    '{resolv_conf, ""}.',
    `{nameserver, {${options.dns.host.split('.').join(',')}}, ${options.dns.port}}.`,
    '{lookup, [file, dns]}.',
    '',
  ].join('\n'));
  chownRecursive(dir, user.uid, user.gid);
  const ctlArgs = ['--config-dir', etc, '--logs', join(dir, 'log'), '--spool', join(dir, 'db')];
  // HOME: where erl keeps the node's cookie, shared by the server and ejabberdctl
  const asEjabberd = { uid: user.uid, gid: user.gid, cwd: dir, env: { ...process.env, HOME: dir } };
  const ctl = (args: string[]) => run('/usr/sbin/ejabberdctl', [...ctlArgs, ...args], { ...asEjabberd, timeout: 30_000 });
  let running: RunningProcess;
  try {
    running = await startProcess(`ejabberd ${options.domain}`, '/usr/sbin/ejabberdctl', [...ctlArgs, 'foreground'], {
      ...asEjabberd,
      group: true,
      logFile: join(dir, 'stdout.log'),
      readyTimeoutMs: 60_000,
      ready: async () => (await acceptsTcp(options.address, c2sPort)) && acceptsTcp(options.address, s2sPort),
      gracefulStop: () => ctl(['stop']),
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    domain: options.domain, address: options.address, c2sPort, s2sPort, dir, c2sTlsPort: null, s2sTlsPort: null,
    zone: () => peerZone(options.domain, options.address, c2sPort, s2sPort),
    async register(name, password) {
      await ctl(['register', name, options.domain, password]);
    },
    log: () => `${running.log()}\n${readText(join(dir, 'log', 'ejabberd.log'))}`,
    async stop() {
      await running.stop(10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ejabberdConfig(dir: string, options: PeerOptions, c2sPort: number, s2sPort: number): string {
  const q = (value: string) => JSON.stringify(value);
  return `# test peer ${options.domain} (test/helpers/ejabberd.ts)
hosts:
  - ${q(options.domain)}
loglevel: info
log_rotate_count: 0
certfiles:
  - ${q(join(dir, 'certs', `${options.domain}.pem`))}
${options.trustedCaFile ? `ca_file: ${q(join(dir, 'certs', 'ca.crt'))}\n` : ''}listen:
  - port: ${c2sPort}
    ip: ${q(options.address)}
    module: ejabberd_c2s
    starttls_required: true
    max_stanza_size: 262144
    backlog: 128
  - port: ${s2sPort}
    ip: ${q(options.address)}
    module: ejabberd_s2s_in
    max_stanza_size: 524288
    backlog: 128
s2s_use_starttls: required
s2s_dns_timeout: 5
s2s_dns_retries: 1
outgoing_s2s_families:
  - ipv4
auth_method: internal
default_db: mnesia
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  s2s:
    allow: all
s2s_access: s2s
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_offline: {}
  mod_vcard: {}
  mod_version: {}
${options.requireValidCertificates ? '' : '  mod_s2s_dialback: {}\n'}`;
}

function chownRecursive(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownRecursive(child, uid, gid);
    else chownSync(child, uid, gid);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
