// SASL negotiation on a stream (RFC 6120 §6.4): <auth/>, <challenge/>/<response/>, <success/>,
// <failure/>, <abort/>. Mechanisms themselves live in sasl/, the attempt in sasl-attempt.ts; this
// file only speaks the XML. SASL2 (XEP-0388) is sasl2/negotiation.ts.
import { NS, xml, type Element } from '@parley/shared';
import { SaslError, canOffer, type ChannelBinding, type MechanismContext, type MechanismFactory, type SaslStep } from '../sasl/index.ts';
import { SaslAttempt, type SaslServices } from './sasl-attempt.ts';

export type { SaslServices } from './sasl-attempt.ts';

export type SaslOutcome =
  | { kind: 'continue' }
  /** The account: its localpart and its (canonical) domain, which an alias stream domain maps to. */
  | { kind: 'success'; username: string; domain: string }
  | { kind: 'failure'; condition: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class SaslNegotiation {
  private readonly attempt: SaslAttempt;

  constructor(
    private readonly services: SaslServices,
    domain: string,
    private readonly encrypted: boolean,
    remoteAddress: string,
    private readonly write: (element: Element) => void,
    private readonly channelBinding: ChannelBinding | null = null,
  ) {
    this.attempt = new SaslAttempt(services, domain, remoteAddress, SaslNegotiation.mechanismContext(services, encrypted, channelBinding));
  }

  /**
   * Mechanisms to offer (auth/authentication.ts): PLAIN and OAUTHBEARER only over an encrypted
   * stream (RFC 6120 §13.8), the -PLUS variants only with channel binding data (RFC 5802 §6).
   */
  static offered(services: SaslServices, encrypted: boolean, channelBinding: ChannelBinding | null = null): MechanismFactory[] {
    return services.authentication.mechanisms.filter((factory) => canOffer(factory, encrypted, channelBinding));
  }

  static featuresElement(services: SaslServices, encrypted: boolean, channelBinding: ChannelBinding | null = null): Element {
    return xml('mechanisms', { xmlns: NS.sasl },
      ...SaslNegotiation.offered(services, encrypted, channelBinding).map((factory) => xml('mechanism', null, factory.name)));
  }

  /** What the mechanisms know of the connection: its binding, and whether -PLUS was offered (downgrade check). */
  static mechanismContext(services: SaslServices, encrypted: boolean, channelBinding: ChannelBinding | null): MechanismContext {
    const plusOffered = SaslNegotiation.offered(services, encrypted, channelBinding).some((factory) => factory.requiresChannelBinding);
    return { channelBinding, plusOffered };
  }

  async handle(element: Element): Promise<SaslOutcome> {
    try {
      switch (element.name) {
        case 'auth': return await this.start(element);
        case 'response': return await this.respond(element);
        case 'abort': throw new SaslError('aborted');
        default: throw new SaslError('malformed-request', `unexpected <${element.name}/>`);
      }
    } catch (error) {
      if (!(error instanceof SaslError)) throw error;
      return this.fail(error);
    }
  }

  private async start(auth: Element): Promise<SaslOutcome> {
    if (this.attempt.inProgress) throw new SaslError('malformed-request', 'authentication already in progress');
    const name = auth.attrs.mechanism;
    const factory = this.services.authentication.mechanisms.find((candidate) => candidate.name === name);
    if (!factory) throw new SaslError('invalid-mechanism');
    if (factory.requiresEncryption && !this.encrypted) throw new SaslError('encryption-required');
    if (!canOffer(factory, this.encrypted, this.channelBinding)) throw new SaslError('invalid-mechanism');
    return this.apply(await this.attempt.start(factory, decode(auth.getText())));
  }

  private async respond(response: Element): Promise<SaslOutcome> {
    if (!this.attempt.inProgress) throw new SaslError('malformed-request', 'no authentication in progress');
    return this.apply(await this.attempt.respond(decode(response.getText())));
  }

  private async apply(step: SaslStep): Promise<SaslOutcome> {
    if (step.kind === 'challenge') {
      this.write(xml('challenge', { xmlns: NS.sasl }, step.data.toString('base64')));
      return { kind: 'continue' };
    }
    const account = await this.attempt.authorize(step);
    // RFC 6120 §6.3.10: additional data with success, '=' would mean empty; omit when none.
    this.write(xml('success', { xmlns: NS.sasl }, step.data ? step.data.toString('base64') : undefined));
    return { kind: 'success', username: account.local, domain: account.domain };
  }

  private fail(error: SaslError): SaslOutcome {
    this.attempt.failed(error);
    this.write(xml('failure', { xmlns: NS.sasl },
      xml(error.condition, null),
      error.text ? xml('text', { 'xml:lang': 'en' }, error.text) : null));
    return { kind: 'failure', condition: error.condition };
  }
}

/** RFC 6120 §6.4.2: '=' is an empty response; anything not base64 is incorrect-encoding. */
function decode(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '=') return Buffer.alloc(0);
  if (!BASE64.test(trimmed) || trimmed.length % 4 !== 0) throw new SaslError('incorrect-encoding');
  return Buffer.from(trimmed, 'base64');
}
