// Reading /metrics in tests: one scrape, and the value of one sample line.
import type { TestServer } from './server.ts';

/** GET /metrics on the server's HTTP port (its bind address: loopback, no token needed unless configured). */
export async function scrape(server: TestServer, token?: string): Promise<string> {
  const response = await fetch(`http://${server.server.config.bind}:${server.ports.http}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/** The value of one sample line (`name{labels} value`) whose labels include these, or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}
