// A real DNS server for federation tests: Debian's unbound on a loopback high port, serving only the
// zones a test gives it (SRV, A, AAAA… as zone-file lines) and refusing every other name, so nothing
// is ever asked of the internet. Zones can be replaced while it runs (unbound-control on a unix
// socket), and a zone of type 'deny' never answers at all: lookups there time out.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Resolver } from 'node:dns/promises';
import { freePortBelowEphemeral } from './ports.ts';
import { startProcess, type RunningProcess } from './processes.ts';

const run = promisify(execFile);

/**
 * A zone: its records as zone-file lines (`_xmpp-server._tcp.a.test. 300 IN SRV 0 5 5269 xmpp.a.test.`),
 * or a fault: 'deny' drops every query (timeouts), 'refuse' answers REFUSED, 'nxdomain' NXDOMAIN.
 */
export type Zone = string[] | 'deny' | 'refuse' | 'nxdomain';

export interface TestDns {
  /** `127.0.0.1:<port>`, as config `dns.servers` takes it */
  readonly server: string;
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  /** Serve `zone` (replacing what it served before) with these records or this fault. */
  setZone(zone: string, records: Zone): Promise<void>;
  removeZone(zone: string): Promise<void>;
  stop(): Promise<void>;
}

const ZONE_TYPES = { deny: 'deny', refuse: 'refuse', nxdomain: 'always_nxdomain' } as const;

export async function startDns(zones: Record<string, Zone> = {}, host = '127.0.0.1'): Promise<TestDns> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-dns-'));
  const port = await freePortBelowEphemeral();
  const configFile = join(dir, 'unbound.conf');
  const control = join(dir, 'control.sock');
  writeFileSync(configFile, unboundConfig(dir, host, port, control, zones));
  let process: RunningProcess;
  try {
    process = await startProcess('unbound', '/usr/sbin/unbound', ['-d', '-c', configFile], {
      logFile: join(dir, 'unbound.log'),
      ready: () => answers(host, port),
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const unboundControl = (args: string[], input?: string) => new Promise<void>((resolve, reject) => {
    const child = execFile('/usr/sbin/unbound-control', ['-c', configFile, ...args], (error, stdout) => {
      if (error) return reject(new Error(`unbound-control ${args.join(' ')}: ${error.message} ${stdout}`));
      if (!/^ok/m.test(stdout) && !/added \d+ datas/.test(stdout) && !/removed/.test(stdout)) {
        return reject(new Error(`unbound-control ${args.join(' ')}: ${stdout}`));
      }
      resolve();
    });
    if (input !== undefined) child.stdin?.end(input);
  });
  const removeZone = (zone: string) => unboundControl(['local_zone_remove', fqdn(zone)]);
  return {
    server: `${host}:${port}`,
    host,
    port,
    dir,
    removeZone,
    async setZone(zone, records) {
      await removeZone(zone);
      if (typeof records === 'string') return unboundControl(['local_zone', fqdn(zone), ZONE_TYPES[records]]);
      await unboundControl(['local_zone', fqdn(zone), 'static']);
      if (records.length > 0) await unboundControl(['local_datas'], `${records.join('\n')}\n`);
      // answers cached from the zone's previous records must not survive it
      await unboundControl(['flush_zone', fqdn(zone)]);
    },
    async stop() {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function unboundConfig(dir: string, host: string, port: number, control: string, zones: Record<string, Zone>): string {
  const zoneLines = Object.entries(zones).flatMap(([zone, records]) => typeof records === 'string'
    ? [`  local-zone: "${fqdn(zone)}" ${ZONE_TYPES[records]}`]
    : [`  local-zone: "${fqdn(zone)}" static`, ...records.map((record) => `  local-data: "${record.replaceAll('"', '\\"')}"`)]);
  return [
    'server:',
    `  interface: ${host}@${port}`,
    `  port: ${port}`,
    '  do-ip6: no',
    '  do-daemonize: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 1',
    '  num-threads: 1',
    '  so-reuseport: no',
    '  access-control: 127.0.0.0/8 allow',
    '  module-config: "iterator"',
    // never recurse: a name outside the test zones is REFUSED instead of asked of the root servers
    '  local-zone: "." refuse',
    ...zoneLines,
    'remote-control:',
    '  control-enable: yes',
    `  control-interface: "${control}"`,
    '  control-use-cert: no',
    '',
  ].join('\n');
}

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** unbound answers (REFUSED for the root is an answer) once it is up. */
async function answers(host: string, port: number): Promise<boolean> {
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`${host}:${port}`]);
  try {
    await resolver.resolve4('ready.invalid');
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== 'ETIMEOUT' && code !== 'ECONNREFUSED';
  }
}

/** Runs `dig` against the test server (what an admin would type), for comparing outputs. */
export async function dig(dns: TestDns, type: string, name: string): Promise<string> {
  const { stdout } = await run('dig', [`@${dns.host}`, '-p', String(dns.port), '+noall', '+answer', type, name]);
  return stdout;
}
