// Stream negotiation after the transport opened (RFC 6120 §4.3): sign-in by SASL2 (XEP-0388, no
// restart; FAST tokens, XEP-0484) when offered, else SASL (§6) and a restart; then either the
// resumption of the previous session (XEP-0198 §5) or resource binding (§7) with stream
// management enabled (XEP-0198 §3).
import { JID, NS, parseJid, xml, type Element } from '@parley/shared';
import { AuthenticationError } from './errors.ts';
import type { Inbox } from './inbox.ts';
import { chooseMechanism, decodePayload, encodePayload, type Credentials } from './sasl/index.ts';
import { FAST_MECHANISM, hashedTokenMechanism } from './sasl/fast.ts';
import { authenticate2, bytesMechanism, sasl2Offer, type UserAgent } from './sasl/sasl2.ts';
import type { Resumption } from './stream-management.ts';
import type { Transport } from './transport/transport.ts';
import { randomId } from './ids.ts';

export interface NegotiationRequest {
  account: JID;
  credentials: Credentials;
  resource: string;
  userAgent: UserAgent;
  /** Ask for a FAST token ("stay signed in"), when the server offers FAST. */
  requestToken: boolean;
  /** The session to resume, when the previous connection dropped (XEP-0198 §5). */
  resumption: Resumption | null;
  /** Enable stream management on a new session (XEP-0198 §3), when offered. */
  enableStreamManagement: boolean;
  /**
   * Until when the server said it keeps the dropped session (<enabled max/>). A resumption refused
   * before then means the server ended the session itself (most likely for acks that lagged, its
   * stream error lost with the connection): the new session then goes without stream management.
   */
  resumableUntil?: number;
}

export interface NegotiatedSession {
  /** The full JID the server bound; null when a session was resumed (it keeps its JID). */
  jid: JID | null;
  /** The server supports roster versioning (RFC 6121 §2.6.1). */
  rosterVersioning: boolean;
  /** The previous session was resumed: its 'h' for our stanzas (XEP-0198 §5 <resumed h/>). */
  resumed: { h: number } | null;
  /** A resumption was asked for and refused: the server lost the session (a fresh one was bound). */
  resumeFailed: boolean;
  /** Stream management was left off on purpose (see NegotiationRequest.resumableUntil). */
  streamManagementRefused: boolean;
  /** Stream management is on: the resumption id, or '' when resumption is not allowed. */
  streamManagement: { id: string; maxSeconds?: number } | null;
  /** The server offers client state indication (XEP-0352). */
  csi: boolean;
  /** A new FAST token from the server (XEP-0484 §3.3). */
  token?: { token: string; expiry: string };
}

async function nextFeatures(inbox: Inbox): Promise<Element> {
  for (;;) {
    const element = await inbox.next();
    if (element.getName() === 'features') return element;
  }
}

export async function negotiate(transport: Transport, inbox: Inbox, request: NegotiationRequest): Promise<NegotiatedSession> {
  const { account, credentials } = request;
  const saslFeatures = await nextFeatures(inbox);
  const sasl2 = sasl2Offer(saslFeatures);
  let token: NegotiatedSession['token'];
  let features: Element;
  if (sasl2 && (sasl2.mechanisms.length > 0 || sasl2.fast.length > 0)) {
    const usingToken = 'fast' in credentials;
    if (usingToken && !sasl2.fast.includes(credentials.fast.mechanism)) throw new AuthenticationError('fast-unsupported');
    const mechanism = usingToken
      ? hashedTokenMechanism(account.local, credentials.fast)
      : bytesMechanism(chooseMechanism(sasl2.mechanisms, credentials, account, transport.secure));
    const success = await authenticate2(transport, inbox, {
      mechanism, userAgent: request.userAgent, usingToken: usingToken ? { invalidate: false } : undefined,
      requestToken: request.requestToken && !usingToken && sasl2.fast.includes(FAST_MECHANISM) ? FAST_MECHANISM : undefined,
    });
    token = success.token;
    // §2.6.1: the authenticated stream's features follow <success/> without a restart
    features = await nextFeatures(inbox);
  } else {
    const offered = (saslFeatures.getChild('mechanisms', NS.sasl)?.getChildren('mechanism') ?? []).map((m) => m.getText().trim());
    await authenticate(transport, inbox, chooseMechanism(offered, credentials, account, transport.secure));
    transport.restart();
    features = await nextFeatures(inbox);
  }
  const rosterVersioning = features.getChild('ver', NS.rosterVersioning) !== undefined;
  const csi = features.getChild('csi', NS.csi) !== undefined;
  const smOffered = features.getChild('sm', NS.sm) !== undefined;

  let resumeFailed = false;
  let enable = request.enableStreamManagement;
  if (request.resumption && smOffered) {
    transport.send(xml('resume', { xmlns: NS.sm, previd: request.resumption.id, h: String(request.resumption.handled) }));
    const answer = await nextOf(inbox, NS.sm, ['resumed', 'failed']);
    if (answer.name === 'resumed') {
      const h = Number(answer.attrs.h);
      return {
        jid: null, rosterVersioning, resumed: { h: Number.isInteger(h) && h >= 0 ? h : 0 }, resumeFailed: false, streamManagementRefused: false,
        streamManagement: { id: request.resumption.id }, csi, token,
      };
    }
    resumeFailed = true; // §5 <failed/> (item-not-found: the session expired): bind afresh below
    if (request.resumableUntil !== undefined && Date.now() < request.resumableUntil) enable = false;
  } else if (request.resumption) {
    resumeFailed = true;
  }

  if (!features.getChild('bind', NS.bind)) throw new Error('the server offers no resource binding');
  const bindId = randomId(6);
  transport.send(xml('iq', { xmlns: NS.client, type: 'set', id: bindId },
    xml('bind', { xmlns: NS.bind }, xml('resource', null, request.resource))));
  const bound = await nextResult(inbox, bindId);
  const jid = parseJid(bound.getChild('bind', NS.bind)?.getChildText('jid') ?? `${account.bare}/${request.resource}`);

  // RFC 6121 §1.4 legacy session establishment, only when the server does not mark it optional.
  const session = features.getChild('session', NS.session);
  if (session && !session.getChild('optional')) {
    const sessionId = randomId(6);
    transport.send(xml('iq', { xmlns: NS.client, type: 'set', id: sessionId }, xml('session', { xmlns: NS.session })));
    await nextResult(inbox, sessionId);
  }

  let streamManagement: NegotiatedSession['streamManagement'] = null;
  if (smOffered && enable) {
    // §3: with resumption, so that a network blip keeps the session (transport/websocket.ts)
    transport.send(xml('enable', { xmlns: NS.sm, resume: 'true' }));
    const answer = await nextOf(inbox, NS.sm, ['enabled', 'failed']);
    if (answer.name === 'enabled') {
      const resumable = answer.attrs.resume === 'true' || answer.attrs.resume === '1';
      streamManagement = { id: resumable ? answer.attrs.id ?? '' : '', maxSeconds: Number(answer.attrs.max) || 300 };
    }
  }
  return { jid, rosterVersioning, resumed: null, resumeFailed, streamManagementRefused: !enable, streamManagement, csi, token };
}

async function authenticate(transport: Transport, inbox: Inbox, mechanism: Awaited<ReturnType<typeof chooseMechanism>>): Promise<void> {
  transport.send(xml('auth', { xmlns: NS.sasl, mechanism: mechanism.name }, encodePayload(await mechanism.initial())));
  for (;;) {
    const element = await inbox.next();
    switch (element.getName()) {
      case 'challenge':
        transport.send(xml('response', { xmlns: NS.sasl }, encodePayload(await mechanism.challenge(decodePayload(element.getText())))));
        break;
      case 'success':
        await mechanism.success(decodePayload(element.getText()));
        return;
      case 'failure': {
        const condition = element.children.find((node): node is Element => typeof node !== 'string' && node.name !== 'text');
        throw new AuthenticationError(condition?.name ?? 'not-authorized', element.getChildText('text') ?? undefined);
      }
    }
  }
}

/** The first of these nonzas; a stanza before it is kept for the session (Inbox.keep). */
async function nextOf(inbox: Inbox, xmlns: string, names: string[]): Promise<Element> {
  for (;;) {
    const element = await inbox.next();
    if (element.attrs.xmlns === xmlns && names.includes(element.name)) return element;
    if (element.name === 'message' || element.name === 'presence' || element.name === 'iq') inbox.keep(element);
  }
}

async function nextResult(inbox: Inbox, id: string): Promise<Element> {
  for (;;) {
    const element = await inbox.next();
    if (element.name !== 'iq' || element.attrs.id !== id) continue;
    if (element.attrs.type === 'result') return element;
    const condition = element.getChild('error')?.children.find((node): node is Element => typeof node !== 'string' && node.name !== 'text');
    throw new Error(`resource binding failed (${condition?.name ?? 'error'})`);
  }
}
