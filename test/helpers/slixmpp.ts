// Runs slixmpp (Debian's slixmpp 1.8 under /usr/bin/python3) against a test server: a scenario of
// slixmpp_sessions.py, one of slixmpp_services.py, or the XEP-0357 app server of
// slixmpp_push_app_server.py. The test judges what the script printed.
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { passwordOf } from './im.ts';

const SCRIPT = fileURLToPath(new URL('./slixmpp_sessions.py', import.meta.url));
const SERVICES_SCRIPT = fileURLToPath(new URL('./slixmpp_services.py', import.meta.url));

export type SlixmppResult = Record<string, unknown> & { error?: string };

export function runSlixmpp(scenario: string, port: number, accounts: Record<string, string>, timeoutSeconds = 30): Promise<SlixmppResult> {
  const spec: Record<string, unknown> = { scenario, host: '127.0.0.1', port, timeout: timeoutSeconds, debug: !!process.env.SLIXMPP_DEBUG };
  for (const [name, jid] of Object.entries(accounts)) spec[name] = { jid, password: passwordOf(jid) };
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', [SCRIPT, JSON.stringify(spec)], { timeout: (timeoutSeconds + 10) * 1000 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as SlixmppResult);
      } catch {
        resolve({ error: `${error?.message ?? 'no output'} ${stderr.slice(-3000)}` });
      }
    });
  });
}

const APP_SERVER = fileURLToPath(new URL('./slixmpp_push_app_server.py', import.meta.url));

/** What the XEP-0357 app server got: one publish. */
export interface PushPublish {
  node: string;
  from: string;
  answered: 'result' | 'error';
  fields: Record<string, string[]> | null;
  options: Record<string, string[]> | null;
}

export interface PushAppServer {
  /** The next publish it got (in order). */
  next(timeoutMs?: number): Promise<PushPublish>;
  readonly publishes: PushPublish[];
  stop(): Promise<void>;
}

/** Starts slixmpp_push_app_server.py logged in as `jid` (a full JID); resolves once it is online. */
export async function startPushAppServer(port: number, jid: string, options: { fail?: number } = {}): Promise<PushAppServer> {
  const spec = { jid, password: passwordOf(jid.split('/')[0]!), host: '127.0.0.1', port, fail: options.fail ?? 0, debug: !!process.env.SLIXMPP_DEBUG };
  const child = spawn('/usr/bin/python3', [APP_SERVER, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const publishes: PushPublish[] = [];
  let ready!: () => void;
  let failed!: (error: Error) => void;
  const online = new Promise<void>((resolve, reject) => { ready = resolve; failed = reject; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { failed(new Error('the app server exited')); resolve(); }));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const record = JSON.parse(line) as { ready?: boolean } & PushPublish;
    if (record.ready) ready();
    else publishes.push(record);
  });
  const timer = setTimeout(() => failed(new Error('the app server did not come online')), 20_000);
  await online.finally(() => clearTimeout(timer));
  let read = 0;
  return {
    publishes,
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (publishes.length <= read) {
        if (Date.now() > deadline) throw new Error(`no publish within ${timeoutMs} ms (got ${publishes.length})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return publishes[read++]!;
    },
    async stop() {
      child.stdin!.end();
      const timeout = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

/** One scenario of slixmpp_services.py (upload, registration, commands, external services). */
export function slixmpp(spec: Record<string, unknown>, timeoutSeconds = 30): Promise<Record<string, unknown>> {
  const input = JSON.stringify({ timeout: timeoutSeconds, ...spec });
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', [SERVICES_SCRIPT, input], { timeout: (timeoutSeconds + 10) * 1000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (spec.debug) console.log(stderr);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        resolve({ error: `${error?.message ?? 'no output'} ${stderr.slice(-2000)}` });
      }
    });
  });
}
