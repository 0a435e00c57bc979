// Runs test/helpers/slixmpp_services.py (slixmpp 1.8, Debian's /usr/bin/python3) for one scenario and
// returns what it printed: the test judges the answer.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./slixmpp_services.py', import.meta.url));

export function slixmpp(spec: Record<string, unknown>, timeoutSeconds = 30): Promise<Record<string, unknown>> {
  const input = JSON.stringify({ timeout: timeoutSeconds, ...spec });
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', [SCRIPT, input], { timeout: (timeoutSeconds + 10) * 1000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
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
