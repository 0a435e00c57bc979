// Debian's coturn (`turnserver`) on a loopback port with the TURN REST API shared secret
// (use-auth-secret), its own folder and log, stopped by PID; turnutils_uclient makes allocations.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortBelowEphemeral } from './ports.ts';
import { acceptsTcp, startProcess, type RunningProcess } from './processes.ts';

export interface Coturn {
  readonly port: number;
  readonly process: RunningProcess;
  stop(): Promise<void>;
}

export async function startCoturn(secret: string, realm: string): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-coturn-'));
  const port = await freePortBelowEphemeral(20_000);
  // relay ports of its own, in a band picked at random (other tests on this machine may run coturn too)
  const relayStart = 40_000 + Math.floor(Math.random() * 200) * 100;
  const process = await startProcess('turnserver', '/usr/bin/turnserver', [
    '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    `--min-port=${relayStart}`, `--max-port=${relayStart + 99}`,
    '--use-auth-secret', `--static-auth-secret=${secret}`, `--realm=${realm}`,
    '--no-tls', '--no-dtls', '--no-cli', '--no-multicast-peers', '--allow-loopback-peers', '--fingerprint',
    `--userdb=${join(dir, 'turndb')}`, `--pidfile=${join(dir, 'turnserver.pid')}`, '--log-file=stdout', '--simple-log', '--verbose',
  ], { logFile: join(dir, 'turnserver.log'), ready: () => acceptsTcp('127.0.0.1', port), readyTimeoutMs: 15_000 });
  return {
    port,
    process,
    stop: async () => {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * coturn's own client: two allocations that relay to each other (-y), a few messages over them.
 * Resolves with its exit status and output.
 */
export function turnAllocation(port: number, username: string, password: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/turnutils_uclient', ['-y', '-c', '-n', '3', '-m', '1', '-u', username, '-w', password, '-p', String(port), '127.0.0.1'],
      { timeout: 30_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      });
  });
}
