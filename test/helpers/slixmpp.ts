// Runs a scenario of slixmpp_sessions.py (Debian's slixmpp 1.8 under /usr/bin/python3) against a test server.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { passwordOf } from './im.ts';

const SCRIPT = fileURLToPath(new URL('./slixmpp_sessions.py', import.meta.url));

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
