// A raw XEP-0198 client for tests: logs in, enables stream management, counts what it handles and
// answers <r/> with its 'h', so that a test can drop the connection at a known count and resume.
import type { Element } from 'ltx';
import {
  NS, connectTcp, connectWebSocket, restartAndBind, scramAuthenticate, type RawPeer,
} from './raw-stream.ts';

export const NS_SM = 'urn:xmpp:sm:3';

export interface SmClient {
  peer: RawPeer;
  jid: string;
  /** Stanzas handled from the server since <enabled/> (what the client's 'h' says). */
  handled: number;
  /** The stanzas handled, in order. */
  stanzas: Element[];
  /** The <enabled/> answer. */
  enabled: Element | null;
}

export type RawTransport = 'tcp' | 'websocket';

export async function connect(transport: RawTransport, ports: { c2s: number; http: number }): Promise<RawPeer> {
  return transport === 'tcp' ? connectTcp(ports.c2s) : connectWebSocket(ports.http);
}

/** Opens a stream and authenticates; the next thing is the restarted stream's features. */
export async function authenticate(peer: RawPeer, username: string, password: string): Promise<Element> {
  peer.openStream();
  await peer.receiveHeader();
  await peer.receiveFeatures();
  const outcome = await scramAuthenticate(peer, username, password);
  if (outcome.name !== 'success') throw new Error(`login failed: ${outcome.toString()}`);
  peer.openStream();
  await peer.receiveHeader();
  return peer.receiveFeatures();
}

/** Logs in, binds, enables stream management (with resumption unless told otherwise) and sends initial presence. */
export async function smLogin(peer: RawPeer, username: string, password: string,
  options: { resource?: string; resume?: boolean; max?: number; presence?: boolean } = {}): Promise<SmClient> {
  peer.openStream();
  await peer.receiveHeader();
  await peer.receiveFeatures();
  const outcome = await scramAuthenticate(peer, username, password);
  if (outcome.name !== 'success') throw new Error(`login failed: ${outcome.toString()}`);
  const jid = await restartAndBind(peer, undefined, options.resource);
  const resume = options.resume === false ? '' : " resume='true'";
  const max = options.max ? ` max='${options.max}'` : '';
  peer.send(`<enable xmlns='${NS_SM}'${resume}${max}/>`);
  const enabled = await peer.receive('enabled', NS_SM);
  const client: SmClient = { peer, jid, handled: 0, stanzas: [], enabled };
  if (options.presence !== false) peer.send('<presence/>');
  return client;
}

/**
 * Reads what the server sends until `until` says stop (or the time is up): stanzas are counted and
 * kept, <r/> is answered with the count (unless `answer` is false: the test acks itself). Returns the stanzas handled in this call.
 */
export async function handle(client: SmClient, until: (stanzas: Element[]) => boolean,
  { timeoutMs = 5000, answer = true }: { timeoutMs?: number; answer?: boolean } = {}): Promise<Element[]> {
  const handledNow: Element[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!until(handledNow)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`condition not met within ${timeoutMs} ms; handled: ${handledNow.map(String).join('\n')}`);
    const item = await client.peer.next(left);
    if (item.kind !== 'element') throw new Error(`unexpected ${item.kind}`);
    const element = item.element;
    if (element.attrs.xmlns === NS_SM) {
      if (element.name === 'r' && answer) client.peer.send(ack(client.handled));
      continue;
    }
    client.handled = (client.handled + 1) % 2 ** 32;
    client.stanzas.push(element);
    handledNow.push(element);
  }
  return handledNow;
}

export function ack(h: number): string {
  return `<a xmlns='${NS_SM}' h='${h}'/>`;
}

/** A new connection that resumes `previd` with `h` after authenticating; returns the <resumed/> or <failed/>. */
export async function resumeOn(peer: RawPeer, username: string, password: string, previd: string, h: number): Promise<Element> {
  await authenticate(peer, username, password);
  peer.send(`<resume xmlns='${NS_SM}' previd='${previd}' h='${h}'/>`);
  const item = await peer.next();
  if (item.kind !== 'element') throw new Error(`unexpected ${item.kind}`);
  return item.element;
}

export function bodies(stanzas: Element[]): string[] {
  return stanzas.filter((stanza) => stanza.name === 'message').map((message) => message.getChildText('body') ?? '');
}

export function chatXml(to: string, body: string, id = body): string {
  return `<message type='chat' to='${to}' id='${id}'><body>${body}</body></message>`;
}

export { NS };
