// The chat panel's end-to-end set-up: a server serving the built client, rosters and vCards
// written straight into its storage (a 5,000-contact roster in a second), and a WebSocket route
// through which a test cuts the panel's connection as a network would.
import type { Page, WebSocketRoute } from 'playwright-core';
import type { ConfigInput } from '../../server/src/config.ts';
import { startServer, type TestServer } from './server.ts';
import { webClientDir } from './browser.ts';

export async function startPanelServer(users: Record<string, string>, config: Partial<ConfigInput> = {}): Promise<TestServer> {
  return startServer({ users, config: { ...config, http: { webClientDir, ...config.http } } });
}

export function baseUrl(server: TestServer): string {
  return `http://127.0.0.1:${server.ports.http}/`;
}

export interface SeededContact {
  jid: string;
  name?: string;
  groups?: string[];
}

/** Mutual subscriptions ('both') from `owner` to each contact, and back when `mutual`. */
export async function seedRoster(server: TestServer, owner: string, contacts: SeededContact[], mutual = true): Promise<void> {
  const roster = server.server.ctx.storage.roster;
  for (const contact of contacts) {
    await roster.put(owner, { jid: contact.jid, name: contact.name ?? null, subscription: 'both', ask: false, approved: false, groups: contact.groups ?? [] });
    if (mutual) await roster.put(contact.jid, { jid: owner, name: null, subscription: 'both', ask: false, approved: false, groups: [] });
  }
}

export async function seedVcard(server: TestServer, jid: string, fullName: string): Promise<void> {
  await server.server.ctx.storage.vcards.set(jid, `<vCard xmlns="vcard-temp"><FN>${fullName}</FN></vCard>`);
}

/** Routes the page's WebSockets through the test; `cut()` closes the newest one like a lost network. */
export async function cuttableWebSockets(page: Page): Promise<{ count(): number; cut(): Promise<void> }> {
  const sockets: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
  await page.routeWebSocket('**/xmpp-websocket', (socket) => {
    sockets.push({ page: socket, server: socket.connectToServer() });
  });
  return {
    count: () => sockets.length,
    async cut() {
      const last = sockets.at(-1);
      if (!last) throw new Error('no WebSocket to cut');
      await last.server.close();
      await last.page.close({ code: 4000, reason: 'network gone' });
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
