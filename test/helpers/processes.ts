// Child processes for federation tests (unbound, Prosody, ejabberd): started with their own config,
// output into a log file, waited for until ready, stopped by PID (never by name: other engineers'
// tests run the same programs on this machine).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';

export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The log so far (for failure messages). */
  log(): string;
}

export interface StartOptions extends Pick<SpawnOptions, 'env' | 'cwd' | 'uid' | 'gid'> {
  /** stdout and stderr go here */
  logFile: string;
  /** Resolves true once the process serves; polled until `readyTimeoutMs`. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /**
   * Asks the process to stop its own way first (e.g. `ejabberdctl stop`); signals follow if it is
   * still there after the grace time. With `group`, signals go to the process group it leads.
   */
  gracefulStop?: () => Promise<unknown>;
  /** Start it as the leader of its own process group (a script that starts the real server as its child). */
  group?: boolean;
}

export async function startProcess(name: string, command: string, args: string[], options: StartOptions): Promise<RunningProcess> {
  const out = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { env: options.env, cwd: options.cwd, uid: options.uid, gid: options.gid, stdio: ['ignore', out, out], detached: options.group ?? false });
  } finally {
    closeSync(out);
  }
  let exited: number | string | null = null;
  const gone = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exited = code ?? signal;
    resolve();
  }));
  child.once('error', () => {});
  const running: RunningProcess = {
    name,
    pid: child.pid ?? -1,
    logFile: options.logFile,
    log: () => readLog(options.logFile),
    stop: async (graceMs = 5000) => {
      if (exited !== null) return;
      const signal = (name: NodeJS.Signals) => {
        try {
          if (options.group && child.pid) process.kill(-child.pid, name);
          else child.kill(name);
        } catch {
          // already gone
        }
      };
      if (options.gracefulStop) await options.gracefulStop().catch(() => {});
      else signal('SIGTERM');
      const timer = setTimeout(() => signal(options.gracefulStop ? 'SIGTERM' : 'SIGKILL'), graceMs);
      const last = setTimeout(() => signal('SIGKILL'), 2 * graceMs);
      await gone;
      clearTimeout(timer);
      clearTimeout(last);
      // what the group leader started (ejabberd's beam) must not outlive it
      if (options.group) signal('SIGKILL');
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  while (!(await options.ready().catch(() => false))) {
    if (exited !== null) throw new Error(`${name} exited (${exited}) before it was ready:\n${running.log()}`);
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`${name} was not ready in time:\n${running.log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return running;
}

/** Stops a process that is not our child (a daemon's own PID, e.g. ejabberd's epmd), by its PID. */
export async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (alive()) process.kill(pid, 'SIGKILL');
}

/** True once something accepts TCP connections on host:port. */
export function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-4000);
  } catch {
    return '';
  }
}
