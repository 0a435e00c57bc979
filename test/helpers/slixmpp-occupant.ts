// A slixmpp room occupant (slixmpp_occupant.py, Debian's slixmpp 1.8 under /usr/bin/python3) that a
// test drives command by command and whose room events it waits for.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./slixmpp_occupant.py', import.meta.url));

export type OccupantEvent = { event: string; room?: string; nick?: string; body?: string; type?: string; codes?: number[]; from?: string; error?: string; count?: number; role?: string;
  id?: string; stanza_id?: string | null; replace?: string | null; target?: string; reactions?: string[]; muc_x?: boolean; to?: string };

export interface SlixmppOccupant {
  readonly events: OccupantEvent[];
  send(command: Record<string, unknown>): void;
  /** The first event (from the start, or after `since`) that matches. */
  waitFor(match: (event: OccupantEvent) => boolean, timeoutMs?: number): Promise<OccupantEvent>;
  stop(): Promise<void>;
}

export async function startSlixmppOccupant(port: number, jid: string, password: string): Promise<SlixmppOccupant> {
  const spec = { jid, password, host: '127.0.0.1', port };
  const child = spawn('/usr/bin/python3', [SCRIPT, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const events: OccupantEvent[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as OccupantEvent);
    } catch {
      events.push({ event: 'error', error: line });
    }
  });
  const occupant: SlixmppOccupant = {
    events,
    send(command) {
      child.stdin!.write(`${JSON.stringify(command)}\n`);
    },
    async waitFor(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        const failure = events.find((e) => e.event === 'error');
        if (failure) throw new Error(`slixmpp: ${failure.error}`);
        if (Date.now() > deadline) throw new Error(`slixmpp: no matching event within ${timeoutMs} ms; got ${JSON.stringify(events.slice(-5))}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async stop() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  await occupant.waitFor((e) => e.event === 'ready');
  return occupant;
}
