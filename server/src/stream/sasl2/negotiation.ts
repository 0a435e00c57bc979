// SASL2 (XEP-0388) on a stream: <authenticate/> with its inline features, <challenge/>/<response/>,
// <success/> with the authorization identifier, or <failure/>; no stream restart after success.
// It takes elements and writes replies through its host; what the stream does next (features,
// bound state) follows from the outcome. Mechanisms run through SaslAttempt, as for RFC 6120 SASL.
//
// After the mechanism succeeded, in this order (XEP-0386 §3.2, XEP-0484 §3.3):
//   1. FAST: a token issued (asked for, or the one used is due for rotation) or invalidated;
//   2. the SASL2 inline features modules registered (core/stream-extensions.ts: XEP-0198
//      resumption), which may put a live session on the stream;
//   3. Bind 2, unless a session was resumed: the resource bound, then the Bind 2 inline features;
//   4. <success/>, written last, so the client sees the whole outcome at once.
import { NS, xml, type Element, type JID } from '@parley/shared';
import type { FastTokens } from '../../auth/fast-tokens.ts';
import type { SignInStream, UserAgent } from '../../core/sign-in-extensions.ts';
import type { StreamExtensions } from '../../core/stream-extensions.ts';
import type { StreamInfo } from '../../core/module-api.ts';
import {
  SaslError, canOffer, hashedTokenMechanism, offeredHashedTokenMechanisms, type ChannelBinding, type MechanismContext,
  type MechanismFactory, type SaslCondition, type SaslStep,
} from '../../sasl/index.ts';
import { SaslAttempt, type SaslServices, type TokenCheck } from '../sasl-attempt.ts';
import { bind2Advertisement, bind2Resource } from './bind2.ts';
import { fastAdvertisement, parseFastRequest, tokenElement, type FastRequest } from './fast.ts';
import { describeUserAgent, parseUserAgent } from './user-agent.ts';

export interface Sasl2Services<Session> extends SaslServices {
  /** What modules negotiate inside SASL2 and Bind 2 (with the rest of what they add to client streams). */
  readonly extensions: StreamExtensions<Session>;
  /** FAST tokens (XEP-0484), or null when FAST is off. */
  readonly fastTokens: FastTokens | null;
}

/** What the offer depends on: the stream, and what SCRAM-*-PLUS and HT-*-EXPR/ENDP bind to (TCP with TLS), or null. */
export interface Sasl2Offer extends StreamInfo {
  readonly channelBinding: ChannelBinding | null;
}

/** What the negotiation knows of the stream it runs on. */
export type Sasl2Connection = Sasl2Offer;

/** What the negotiation needs of the stream it runs on. */
export interface Sasl2Host<Session> {
  /** Write a negotiation reply (<challenge/>, <success/>, <failure/>): never held. */
  write(element: Element): void;
  /**
   * The mechanism succeeded for this account: what sessions on the stream are sent from now on
   * waits behind the <success/> (XEP-0386 §3.2: the client learns its JID from it, before any stanza).
   */
  authenticated(account: JID): void;
  /** Bind a resource for the account (Bind 2), as RFC 6120 binding does. */
  bind(account: JID, resource: string): { session: Session; jid: JID };
  /** Put a live session of the account on the stream (a SASL2 inline feature resumes it); its full JID. */
  resume(session: Session): JID;
  /** Bind `jid` on the stream for a session another node handed over (a SASL2 inline feature resumes it there). */
  resumeMoved(jid: JID): Session;
}

export type Sasl2Outcome<Session> =
  | { kind: 'continue' }
  | { kind: 'failure'; condition: SaslCondition }
  /** `session` is set when Bind 2 bound one or an inline feature resumed one; `jid` is then its full JID. */
  | { kind: 'success'; account: JID; jid: JID; session: Session | null; resumed: boolean; userAgent: UserAgent | null };

/** Plain (non-token) mechanisms a stream offers, in server preference order. */
function offeredMechanisms(services: SaslServices, connection: Sasl2Offer): MechanismFactory[] {
  return services.authentication.mechanisms.filter((factory) => canOffer(factory, connection.encrypted, connection.channelBinding));
}

function mechanismContext(services: SaslServices, connection: Sasl2Offer): MechanismContext {
  const plusOffered = offeredMechanisms(services, connection).some((factory) => factory.requiresChannelBinding);
  return { channelBinding: connection.channelBinding, plusOffered };
}

/** FAST mechanisms a stream offers: none unless FAST is on and the stream is encrypted (XEP-0484 §6). */
function fastMechanisms(services: SaslServices & { fastTokens: FastTokens | null }, connection: Sasl2Offer): string[] {
  if (!services.fastTokens || !connection.encrypted) return [];
  return offeredHashedTokenMechanisms(mechanismContext(services, connection));
}

/** SASL2 data: base64 without the whitespace clients and examples wrap it in (XEP-0388 §2.2). */
function decode(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact === '') return Buffer.alloc(0);
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new SaslError('incorrect-encoding');
  return Buffer.from(compact, 'base64');
}

interface Request {
  mechanism: string;
  userAgent: UserAgent | null;
  fast: FastRequest;
  bind: Element | null;
  /** Children for registered SASL2 inline features, by namespace. */
  inline: Map<string, Element[]>;
  /** Set by the token check when a FAST token was verified. */
  tokenRotation: boolean | null;
}

export class Sasl2Negotiation<Session> {
  private readonly attempt: SaslAttempt;
  private request: Request | null = null;

  constructor(
    private readonly services: Sasl2Services<Session>,
    private readonly connection: Sasl2Connection,
    private readonly host: Sasl2Host<Session>,
  ) {
    const checkToken: TokenCheck = async (jid, proof) => {
      const request = this.request!;
      const verified = await services.fastTokens!.verify({
        jid, clientId: request.userAgent!.id!, mechanism: proof.mechanism, initiatorHash: proof.initiatorHash,
        channelBindingData: proof.channelBindingData, invalidate: request.fast.usingToken?.invalidate ?? false,
      });
      request.tokenRotation = verified.rotate;
      return verified.responderHash;
    };
    this.attempt = new SaslAttempt(services, connection.domain, connection.remoteAddress,
      mechanismContext(services, connection), services.fastTokens ? checkToken : null);
  }

  /** The <authentication/> stream feature (XEP-0388 §2.1), or null when no mechanism can be offered. */
  static advertise<Session>(services: Sasl2Services<Session>, connection: Sasl2Offer): Element | null {
    const mechanisms = offeredMechanisms(services, connection);
    const fast = fastMechanisms(services, connection);
    if (mechanisms.length === 0 && fast.length === 0) return null;
    const inline: Element[] = [bind2Advertisement(services.extensions, connection)];
    if (fast.length > 0) inline.push(fastAdvertisement(fast));
    for (const feature of services.extensions.sasl2Features()) {
      const advertised = feature.advertise(connection);
      if (advertised) inline.push(advertised);
    }
    return xml('authentication', { xmlns: NS.sasl2 },
      ...mechanisms.map((factory) => xml('mechanism', null, factory.name)),
      xml('inline', null, ...inline));
  }

  async handle(element: Element): Promise<Sasl2Outcome<Session>> {
    try {
      switch (element.name) {
        case 'authenticate': return await this.authenticate(element);
        case 'response': return await this.respond(element);
        case 'abort': throw new SaslError('aborted');
        default: throw new SaslError('malformed-request', `unexpected <${element.name}/>`);
      }
    } catch (error) {
      if (!(error instanceof SaslError)) throw error;
      return this.fail(error);
    }
  }

  private async authenticate(authenticate: Element): Promise<Sasl2Outcome<Session>> {
    if (this.attempt.inProgress) throw new SaslError('malformed-request', 'authentication already in progress');
    const name = authenticate.attrs.mechanism;
    if (!name) throw new SaslError('malformed-request', 'no mechanism');
    // §2.3: an upgrade the server did not announce (it announces none) fails the authentication.
    if (authenticate.attrs.upgrade !== undefined) throw new SaslError('invalid-mechanism', `no upgrade to ${authenticate.attrs.upgrade}`);
    const children = childrenByNamespace(authenticate);
    const own = children.get(NS.sasl2) ?? [];
    const userAgent = parseUserAgent(own.find((child) => child.name === 'user-agent'));
    const fastOffered = fastMechanisms(this.services, this.connection);
    const fast = parseFastRequest(children.get(NS.fast) ?? [], name, fastOffered, userAgent?.id != null, this.connection.encrypted);
    const factory = this.mechanism(name, fast, fastOffered);

    const inline = new Map<string, Element[]>();
    for (const feature of this.services.extensions.sasl2Features()) {
      const requests = children.get(feature.xmlns);
      // what is not offered on this stream is an unknown extension here
      if (!requests || feature.advertise(this.connection) === null) continue;
      feature.validate?.(requests, this.connection);
      inline.set(feature.xmlns, requests);
    }
    // Children of unknown namespaces are extensions this server does not know: ignored (§2.3).
    const bind = children.get(NS.bind2)?.find((child) => child.name === 'bind') ?? null;
    this.request = { mechanism: name, userAgent, fast, bind, inline, tokenRotation: null };

    const initial = own.find((child) => child.name === 'initial-response');
    return this.apply(await this.attempt.start(factory, initial ? decode(initial.getText()) : Buffer.alloc(0)));
  }

  /** The mechanism named: a token mechanism only with <fast/> (XEP-0484 §3.4), others from the offer. */
  private mechanism(name: string, fast: FastRequest, fastOffered: readonly string[]): MechanismFactory {
    if (fast.usingToken) return hashedTokenMechanism(name)!;
    if (fastOffered.includes(name)) throw new SaslError('malformed-request', `${name} needs <fast xmlns='${NS.fast}'/>`);
    const factory = offeredMechanisms(this.services, this.connection).find((candidate) => candidate.name === name);
    if (factory) return factory;
    const known = this.services.authentication.mechanisms.find((candidate) => candidate.name === name);
    if (known?.requiresEncryption && !this.connection.encrypted) throw new SaslError('encryption-required');
    throw new SaslError('invalid-mechanism');
  }

  private async respond(response: Element): Promise<Sasl2Outcome<Session>> {
    if (!this.attempt.inProgress) throw new SaslError('malformed-request', 'no authentication in progress');
    return this.apply(await this.attempt.respond(decode(response.getText())));
  }

  private async apply(step: SaslStep): Promise<Sasl2Outcome<Session>> {
    if (step.kind === 'challenge') {
      this.host.write(xml('challenge', { xmlns: NS.sasl2 }, step.data.toString('base64')));
      return { kind: 'continue' };
    }
    const account = await this.attempt.authorize(step);
    return this.succeed(account, step.data);
  }

  private async succeed(account: JID, additionalData: Buffer | undefined): Promise<Sasl2Outcome<Session>> {
    const request = this.request!;
    this.request = null;
    const { userAgent } = request;
    const extras: Element[] = [];

    // 1. FAST (XEP-0484 §3.3, §3.5, §3.6): a new token when asked for, or when the one used is due
    //    and the client is not signing out with it.
    const fastTokens = this.services.fastTokens;
    const mechanism = request.fast.requestedMechanism ??
      (request.fast.usingToken && !request.fast.usingToken.invalidate && request.tokenRotation ? request.mechanism : null);
    if (fastTokens && mechanism && userAgent?.id) {
      extras.push(tokenElement(await fastTokens.issue(account.bare, userAgent.id, mechanism, describeUserAgent(userAgent))));
    }

    // 2. SASL2 inline features (XEP-0198 resumption first of all).
    this.host.authenticated(account);
    // set by stream.resume() below, in a feature's callback
    let resumed = null as { session: Session; jid: JID } | null;
    const host = this.host;
    const connection = this.connection;
    const stream: SignInStream<Session> = {
      transport: connection.transport, encrypted: connection.encrypted, domain: connection.domain,
      remoteAddress: connection.remoteAddress, account,
      resume(session) {
        if (resumed) throw new Error('a session was resumed on this stream already');
        resumed = { session, jid: host.resume(session) };
      },
      resumeMoved(jid) {
        if (resumed) throw new Error('a session was resumed on this stream already');
        const session = host.resumeMoved(jid);
        resumed = { session, jid };
        return session;
      },
    };
    const context = { account, userAgent, stream };
    for (const [xmlns, requests] of request.inline) {
      const result = await this.services.extensions.sasl2Feature(xmlns)!.negotiate(requests, context);
      if (result) extras.push(result);
    }

    // 3. Bind 2 (XEP-0386 §3.2), skipped when a session was resumed.
    let session: Session | null = resumed?.session ?? null;
    let jid: JID = resumed?.jid ?? account;
    if (!resumed && request.bind) {
      const bound = this.host.bind(account, bind2Resource(request.bind.getChildText('tag') ?? undefined, account, userAgent?.id ?? null));
      session = bound.session;
      jid = bound.jid;
      const results: Element[] = [];
      const bindContext = { ...context, session, jid };
      for (const [xmlns, requests] of childrenByNamespace(request.bind)) {
        const feature = this.services.extensions.bind2Feature(xmlns);
        // <tag/>, or a feature this server does not offer (on this stream)
        if (!feature || !(feature.available?.(this.connection) ?? true)) continue;
        const result = await feature.enable(requests, bindContext);
        if (result) results.push(result);
      }
      extras.push(xml('bound', { xmlns: NS.bind2 }, ...results));
    }

    // 4. §2.6.1: <success/> with the mechanism's additional data and the authorization identifier,
    //    the full JID once a resource is bound.
    this.host.write(xml('success', { xmlns: NS.sasl2 },
      additionalData && additionalData.length > 0 ? xml('additional-data', null, additionalData.toString('base64')) : null,
      xml('authorization-identifier', null, jid.toString()),
      ...extras));
    return { kind: 'success', account, jid, session, resumed: resumed !== null, userAgent };
  }

  private fail(error: SaslError): Sasl2Outcome<Session> {
    this.attempt.failed(error);
    this.request = null;
    this.host.write(xml('failure', { xmlns: NS.sasl2 },
      xml(error.condition, { xmlns: NS.sasl }),
      error.text ? xml('text', { 'xml:lang': 'en' }, error.text) : null));
    return { kind: 'failure', condition: error.condition };
  }
}

/** Children of an element grouped by namespace, in document order (an inline feature may take several). */
function childrenByNamespace(parent: Element): Map<string, Element[]> {
  const groups = new Map<string, Element[]>();
  for (const child of parent.children) {
    if (typeof child === 'string') continue;
    const xmlns = child.getNS() ?? '';
    let group = groups.get(xmlns);
    if (!group) groups.set(xmlns, group = []);
    group.push(child);
  }
  return groups;
}
