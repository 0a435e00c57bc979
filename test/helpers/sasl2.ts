// SASL2 (XEP-0388) dialogues for raw-socket tests, FAST (XEP-0484) proofs, the client's side of
// channel binding (RFC 9266, RFC 5929 §4.1), and @xmpp/client set up to keep its FAST token.
import { createHash, createHmac } from 'node:crypto';
import type tls from 'node:tls';
import { client as xmppClient, xml, type Client } from '@xmpp/client';
import type { Element } from 'ltx';
import { NS } from '@parley/shared';
import { TestScramClient, type TestScramHash } from '../../server/src/sasl/test-scram-client.ts';
import type { RawPeer } from './raw-stream.ts';
import { serviceUrl, startClient, type Transport } from './clients.ts';
import type { TestServer } from './server.ts';
import { acceptTestCertificate } from './test-tls.ts';

export type BindingType = 'tls-exporter' | 'tls-server-end-point' | 'tls-unique';

/** The client's computation of the channel binding data of its TLS connection. */
export function clientBindingData(socket: tls.TLSSocket, type: BindingType): Buffer {
  if (type === 'tls-exporter') return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  // RFC 5929 §3.1: the first Finished message of the handshake (ours in a full handshake)
  if (type === 'tls-unique') return (socket.isSessionReused() ? socket.getPeerFinished() : socket.getFinished())!;
  // RFC 5929 §4.1 with the test certificates' sha256WithRSAEncryption signature: SHA-256 of the DER.
  return createHash('sha256').update(socket.getPeerCertificate().raw).digest();
}

export const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64');

/** <authenticate/> with an initial response and extra children (already serialized). */
export function authenticateXml(mechanism: string, initial: Buffer | null, ...children: string[]): string {
  return `<authenticate xmlns='${NS.sasl2}' mechanism='${mechanism}'>` +
    `${initial ? `<initial-response>${b64(initial)}</initial-response>` : ''}${children.join('')}</authenticate>`;
}

export function userAgentXml(id: string, software = 'Raw test client'): string {
  return `<user-agent id='${id}'><software>${software}</software><device>loopback</device></user-agent>`;
}

export function plainMessage(username: string, password: string): Buffer {
  return Buffer.from(`\0${username}\0${password}`);
}

/** HT-SHA-256-* initial response: authcid NUL HMAC(token, "Initiator" || cb-data). */
export function htInitialResponse(username: string, token: string, bindingData: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(`${username}\0`), htHash(token, 'Initiator', bindingData)]);
}

export function htHash(token: string, label: 'Initiator' | 'Responder', bindingData: Buffer = Buffer.alloc(0)): Buffer {
  return createHmac('sha256', token).update(label).update(bindingData).digest();
}

export interface ScramOptions {
  mechanism: string;
  username: string;
  password: string;
  flag?: string;
  bindingData?: Buffer;
  /** SASL2 (<authenticate/>, default) or RFC 6120 (<auth/>). */
  profile?: 'sasl2' | 'sasl';
  /** Extra children of <authenticate/>. */
  children?: string[];
}

/** A SCRAM exchange (optionally -PLUS) in either profile; returns the last element (<success/> or <failure/>). */
export async function scramExchange(peer: RawPeer, options: ScramOptions): Promise<Element> {
  const hash: TestScramHash = options.mechanism.startsWith('SCRAM-SHA-1') ? 'SHA-1' : 'SHA-256';
  const client = new TestScramClient({ hash, username: options.username, password: options.password, flag: options.flag, bindingData: options.bindingData });
  const sasl2 = (options.profile ?? 'sasl2') === 'sasl2';
  const ns = sasl2 ? NS.sasl2 : NS.sasl;
  peer.send(sasl2
    ? authenticateXml(options.mechanism, client.first(), ...(options.children ?? []))
    : `<auth xmlns='${NS.sasl}' mechanism='${options.mechanism}'>${b64(client.first())}</auth>`);
  const challenge = await nextElement(peer);
  if (challenge.name !== 'challenge') return challenge;
  peer.send(`<response xmlns='${ns}'>${b64(client.final(Buffer.from(challenge.getText(), 'base64')))}</response>`);
  const outcome = await nextElement(peer);
  if (outcome.name === 'success') {
    const data = sasl2 ? outcome.getChildText('additional-data') : outcome.getText();
    if (!client.verify(Buffer.from(data ?? '', 'base64'))) throw new Error('the server signature did not verify');
  }
  return outcome;
}

async function nextElement(peer: RawPeer): Promise<Element> {
  const item = await peer.next();
  if (item.kind !== 'element') throw new Error(`expected an element, got ${item.kind}`);
  return item.element;
}

/** The SASL2 failure's condition (in the RFC 6120 SASL namespace) and text. */
export function failureOf(element: Element): { condition: string | undefined; text: string | undefined } {
  if (element.name !== 'failure') throw new Error(`expected <failure/>, got ${element.toString()}`);
  const condition = element.getChildElements().find((child) => child.getNS() === NS.sasl);
  return { condition: condition?.name, text: element.getChildText('text') ?? undefined };
}

export interface FastToken { mechanism: string; token: string; expiry: string }

/** Where an @xmpp/client keeps its FAST token between connections (a browser would use storage). */
export class TokenJar {
  token: FastToken | null = null;
  readonly saved: FastToken[] = [];
}

export interface FastClientOptions {
  /** 'secure-websocket': wss on the HTTPS listener (FAST needs TLS: XEP-0484 §6). */
  transport?: Transport | 'secure-websocket';
  /** Leave out to sign in with the token only. */
  password?: string;
  /** The client installation's stable id (XEP-0388 <user-agent id/>). */
  clientId: string;
  jar: TokenJar;
  resource?: string;
}

/** An @xmpp/client 0.14 whose FAST token lives in `jar`; SM off (client-quirks.md). Resolves once online. */
export async function fastClient(server: TestServer, jid: string, options: FastClientOptions): Promise<{ xmpp: Client; jid: string; stop(): Promise<void> }> {
  const [username, domain] = jid.split('@') as [string, string];
  const xmpp = acceptTestCertificate(xmppClient({
    service: options.transport === 'secure-websocket'
      ? `wss://127.0.0.1:${server.ports.https}/xmpp-websocket`
      : serviceUrl(server, options.transport ?? 'tls'),
    domain, username, password: options.password, resource: options.resource,
    userAgent: xml('user-agent', { id: options.clientId }, xml('software', null, '@xmpp/client'), xml('device', null, 'test')),
  }));
  (xmpp as unknown as { streamManagement: { enabled: boolean } }).streamManagement.enabled = false;
  xmpp.reconnect.stop();
  const fast = (xmpp as unknown as { fast: { fetchToken(): Promise<unknown>; saveToken(t: FastToken): Promise<void>; deleteToken(): Promise<void> } }).fast;
  fast.fetchToken = async () => options.jar.token;
  fast.saveToken = async (token) => { options.jar.token = token; options.jar.saved.push(token); };
  fast.deleteToken = async () => { options.jar.token = null; };
  xmpp.on('error', () => {});
  const address = await startClient(xmpp);
  return {
    xmpp,
    jid: address.toString(),
    async stop() {
      try { await xmpp.stop(); } catch { /* already closed */ }
    },
  };
}
