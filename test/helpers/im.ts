// Helpers for the RFC 6121 dialogues: per-test accounts, stanza predicates, roster and subscription steps.
import { expect } from 'vitest';
import type { Element } from '@xmpp/xml';
import { deriveScramCredential } from '../../server/src/sasl/credentials.ts';
import type { TestServer } from './server.ts';
import { login, xml, type LoggedInClient, type ServerPorts, type Transport } from './clients.ts';

export const NS_ROSTER = 'jabber:iq:roster';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

let counter = 0;

/**
 * Create fresh accounts ('alice' → 'alice7@example.com', 'bob@example.org' → 'bob7@example.org'),
 * so each test has its own users.
 * These tests are not about SASL: the verifiers use few SCRAM iterations, because @xmpp/client
 * derives the key with 4096 sequential WebCrypto calls (~0.3 s per login) at the default count.
 */
export async function createUsers(server: TestServer, names: string[], domain = 'example.com'): Promise<string[]> {
  counter++;
  const jids: string[] = [];
  for (const name of names) {
    const [local, host = domain] = name.split('@') as [string, string?];
    const jid = `${local}${counter}@${host}`;
    const password = passwordOf(jid);
    const credentials = await Promise.all([
      deriveScramCredential(password, 'SHA-1', { iterations: 64 }),
      deriveScramCredential(password, 'SHA-256', { iterations: 64 }),
    ]);
    await server.server.storage.accounts.create(jid, credentials);
    jids.push(jid);
  }
  return jids;
}

export function passwordOf(jid: string): string {
  return `${jid.split('@')[0]}-secret`;
}

export function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? jid : jid.slice(0, slash);
}

export interface OnlineOptions {
  transport?: Transport;
  resource?: string;
  /** Initial presence children/attributes; `false` logs in without initial presence. */
  presence?: false | { priority?: number; status?: string; show?: string };
  /** Ask for the roster first, which makes the session an "interested resource" (RFC 6121 §2.1.6). */
  roster?: boolean;
}

/**
 * Log in; unless told otherwise send initial presence and wait until the server has taken it
 * (its reflection to the sender, RFC 6121 §4.2.2), so that the session is an available resource.
 */
export async function online(server: ServerPorts, jid: string, options: OnlineOptions = {}): Promise<LoggedInClient> {
  const client = await login(server, jid, passwordOf(jid), { transport: options.transport, resource: options.resource, presence: false });
  if (options.roster) await client.xmpp.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
  if (options.presence !== false) await sendPresence(client, options.presence ?? {});
  return client;
}

/** New accounts (createUsers) logged in and available, one client each. */
export async function onlineUsers(server: TestServer, ...names: string[]): Promise<LoggedInClient[]> {
  const jids = await createUsers(server, names);
  return Promise.all(jids.map((jid) => online(server, jid)));
}

/** Broadcast available presence and wait for the server's reflection of it. */
export async function sendPresence(client: LoggedInClient, options: { priority?: number; status?: string; show?: string } = {}): Promise<void> {
  const reflected = client.next((s) => s.is('presence') && s.attrs.from === client.jid && s.attrs.type === undefined);
  await client.xmpp.send(presence(options));
  await reflected;
}

export function presence(options: { to?: string; type?: string; priority?: number; status?: string; show?: string } = {}): Element {
  return xml('presence', { to: options.to, type: options.type },
    options.show ? xml('show', {}, options.show) : null,
    options.status ? xml('status', {}, options.status) : null,
    options.priority !== undefined ? xml('priority', {}, String(options.priority)) : null);
}

export function chat(to: string, body: string, type = 'chat'): Element {
  return xml('message', { to, type }, xml('body', {}, body));
}

// ---- predicates ----

export const isMessage = (body?: string) => (s: Element) => s.is('message') && s.attrs.type !== 'error'
  && (body === undefined || s.getChildText('body') === body);

export const isPresenceFrom = (from: string, type?: string) => (s: Element) => s.is('presence')
  && (s.attrs.from === from || bare(s.attrs.from ?? '') === from) && s.attrs.type === type;

export const isRosterPush = (contact?: string) => (s: Element) => s.is('iq') && s.attrs.type === 'set'
  && s.getChild('query', NS_ROSTER) !== undefined
  && (contact === undefined || s.getChild('query', NS_ROSTER)!.getChild('item')?.attrs.jid === contact);

export const isError = (name: string) => (s: Element) => s.is(name) && s.attrs.type === 'error';

/** The defined condition of an error stanza (RFC 6120 §8.3.3). */
export function errorCondition(stanza: Element): string | undefined {
  return stanza.getChild('error')?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_STANZAS)?.name;
}

// ---- waiting ----

/** Resolves with a matching stanza received at any time since login (or waits for it). */
export function received(client: LoggedInClient, filter: (s: Element) => boolean, timeoutMs?: number): Promise<Element> {
  const already = client.received.find(filter);
  return already ? Promise.resolve(already) : client.next(filter, timeoutMs);
}

/**
 * Asserts that nothing matching reached the client since `since` (an index into `received`; default:
 * now). Waits `waitMs` for work the server does on its own (a session ending), then makes a round trip
 * on the client's stream, so that whatever the server sent it before has arrived.
 */
export async function expectNothing(client: LoggedInClient, filter: (s: Element) => boolean,
  options: { since?: number; waitMs?: number } = {}): Promise<void> {
  const since = options.since ?? client.received.length;
  if (options.waitMs) await new Promise((resolve) => setTimeout(resolve, options.waitMs));
  await sync(client);
  expect(client.received.slice(since).filter(filter).map(String)).toEqual([]);
}

/** A round trip to the server: everything the server sent this client before it has arrived. */
export async function sync(client: LoggedInClient): Promise<void> {
  await client.xmpp.iqCaller.request(xml('iq', { type: 'get', to: bare(client.jid).split('@')[1] }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

// ---- iq ----

export function iq(client: LoggedInClient, type: 'get' | 'set', payload: Element, to?: string): Promise<Element> {
  return client.xmpp.iqCaller.request(xml('iq', { type, to }, payload));
}

/** Sends an iq that must fail; resolves with its error condition and type. */
export async function iqError(client: LoggedInClient, type: 'get' | 'set', payload: Element, to?: string): Promise<{ condition: string; type: string }> {
  try {
    const result = await iq(client, type, payload, to);
    throw new Error(`expected an error, got ${result.toString()}`);
  } catch (error) {
    const stanzaError = error as { name?: string; condition?: string; type?: string };
    if (stanzaError.name !== 'StanzaError') throw error;
    return { condition: stanzaError.condition!, type: stanzaError.type! };
  }
}

// ---- roster ----

export interface RosterItemView { jid: string; name?: string; subscription?: string; ask?: string; approved?: string; groups: string[] }

export function itemView(item: Element): RosterItemView {
  const view: RosterItemView = { jid: item.attrs.jid, groups: item.getChildren('group').map((g) => g.getText()) };
  for (const key of ['name', 'subscription', 'ask', 'approved'] as const) if (item.attrs[key] !== undefined) view[key] = item.attrs[key];
  return view;
}

/** The item carried by a roster push. */
export function pushedItem(push: Element): RosterItemView {
  return itemView(push.getChild('query', NS_ROSTER)!.getChild('item')!);
}

export async function getRoster(client: LoggedInClient, ver?: string): Promise<{ ver?: string; items: RosterItemView[] } | null> {
  const result = await iq(client, 'get', xml('query', { xmlns: NS_ROSTER, ver }));
  const query = result.getChild('query', NS_ROSTER);
  if (!query) return null;
  return { ver: query.attrs.ver, items: query.getChildren('item').map(itemView) };
}

export function rosterItem(jid: string, options: { name?: string; groups?: string[]; subscription?: string } = {}): Element {
  return xml('query', { xmlns: NS_ROSTER },
    xml('item', { jid, name: options.name, subscription: options.subscription }, ...(options.groups ?? []).map((g) => xml('group', {}, g))));
}

/** Current subscription state of `contact` in `client`'s roster (undefined: no item). */
export async function itemFor(client: LoggedInClient, contact: string): Promise<RosterItemView | undefined> {
  return (await getRoster(client))!.items.find((item) => item.jid === contact);
}

// ---- subscriptions ----

/**
 * `from` subscribes to `to`'s presence and `to` approves: afterwards from's item is 'to' (or 'both')
 * and to's item is 'from' (or 'both'). Both clients must be online.
 */
export async function subscribeAndApprove(from: LoggedInClient, to: LoggedInClient): Promise<void> {
  const request = to.next((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === bare(from.jid));
  await from.xmpp.send(presence({ to: bare(to.jid), type: 'subscribe' }));
  await request;
  const approved = from.next((s) => s.is('presence') && s.attrs.type === 'subscribed' && s.attrs.from === bare(to.jid));
  await to.xmpp.send(presence({ to: bare(from.jid), type: 'subscribed' }));
  await approved;
}

/** A mutual ('both') subscription between two online clients. */
export async function befriend(a: LoggedInClient, b: LoggedInClient): Promise<void> {
  await subscribeAndApprove(a, b);
  await subscribeAndApprove(b, a);
}

export async function stopAll(...clients: LoggedInClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.stop()));
}

export { xml, type LoggedInClient, type Element };

/** Cut the TCP connection without closing the stream (a client that crashes or loses its network). */
export function dropConnection(client: LoggedInClient): void {
  const socket = (client.xmpp as unknown as { socket: { destroy?: () => void; end: () => void } }).socket;
  if (socket.destroy) socket.destroy();
  else socket.end();
}

/** The stanzas received so far that match, as XML text (readable in a failed assertion). */
export function receivedXml(client: LoggedInClient, filter: (s: Element) => boolean): string[] {
  return client.received.filter(filter).map(String);
}
