// The real `parley start` as a child process on free ports, for tests about the process itself:
// signals, crashes (kill -9) and restarts on the same data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ConfigInput } from '../../server/src/config.ts';
import type { ParleyServer } from '../../server/src/server.ts';

const parley = join(import.meta.dirname, '../../server/bin/parley.js');

export interface ParleyProcess {
  child: ChildProcess;
  ports: ParleyServer['ports'];
  /** kill -9: no shutdown, no flush, nothing written after this. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, the clean stop. */
  stop(): Promise<void>;
}

/**
 * `parley --data DIR --config FILE start`, with `config` written to FILE; resolves once it listens
 * (with `workers` above 1: `--workers N`, once every worker listens).
 */
export function startParley(dataDir: string, config: Partial<ConfigInput> = {}, options: { workers?: number } = {}): Promise<ParleyProcess> {
  const configFile = join(dataDir, `test-config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(configFile, JSON.stringify({ bind: '127.0.0.1', log: { level: 'info' }, ...config }));
  const workers = options.workers ?? 1;
  const child = spawn(process.execPath, [parley, '--data', dataDir, '--config', configFile, 'start', '--workers', String(workers)], {
    env: { ...process.env, PARLEY_C2S_PORT: '0', PARLEY_C2S_TLS_PORT: '-1', PARLEY_S2S_PORT: '0', PARLEY_HTTP_PORT: '0', PARLEY_HTTPS_PORT: '-1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: { event?: string; ports?: ParleyServer['ports'] };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      if (parsed.event === (workers > 1 ? 'workers-listening' : 'listening')) {
        resolve({ child, ports: parsed.ports!, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') });
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`parley start exited (${code ?? signal}) before listening`)));
  });
}
