// SASL negotiation on a stream (RFC 6120 §6.4): <auth/>, <challenge/>/<response/>, <success/>,
// <failure/>, <abort/>. Mechanisms themselves live in sasl/; this file only speaks the XML.
import { NS, normalizeLocalpart, xml, type Element } from '@parley/shared';
import { SaslError, type MechanismFactory, type SaslMechanism, type SaslStep } from '../sasl/index.ts';
import { AccessDenied, type Authentication } from '../auth/authentication.ts';
import type { LoginThrottle } from '../sasl/throttle.ts';
import type { SignInCounts } from '../metrics/counters.ts';

/** What SASL negotiation uses: the mechanisms and account checks, and the failed-login throttle. */
export interface SaslServices {
  readonly authentication: Authentication;
  readonly throttle: LoginThrottle;
  /** Outcomes by mechanism, for the metrics. */
  readonly signIns?: SignInCounts;
}

export type SaslOutcome =
  | { kind: 'continue' }
  /** The account: its localpart and its (canonical) domain, which an alias stream domain maps to. */
  | { kind: 'success'; username: string; domain: string }
  | { kind: 'failure'; condition: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class SaslNegotiation {
  private mechanism: SaslMechanism | null = null;
  /** The account the current attempt names, once the throttle let it through (sasl/throttle.ts). */
  private attemptedJid: string | null = null;
  /** The mechanism of the current attempt, and whether the throttle refused it (for the metrics). */
  private mechanismName = '';
  private throttled = false;

  constructor(
    private readonly services: SaslServices,
    private readonly domain: string,
    private readonly encrypted: boolean,
    private readonly remoteAddress: string,
    private readonly write: (element: Element) => void,
  ) {}

  /** Mechanisms to offer (auth/authentication.ts): PLAIN and OAUTHBEARER only over an encrypted stream (RFC 6120 §13.8). */
  static offered(services: SaslServices, encrypted: boolean): MechanismFactory[] {
    return services.authentication.mechanisms.filter((factory) => encrypted || !factory.requiresEncryption);
  }

  static featuresElement(services: SaslServices, encrypted: boolean): Element {
    return xml('mechanisms', { xmlns: NS.sasl },
      ...SaslNegotiation.offered(services, encrypted).map((factory) => xml('mechanism', null, factory.name)));
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
      this.mechanism = null;
      if (!(error instanceof SaslError)) throw error;
      return this.fail(error);
    }
  }

  private async start(auth: Element): Promise<SaslOutcome> {
    if (this.mechanism) throw new SaslError('malformed-request', 'authentication already in progress');
    const name = auth.attrs.mechanism;
    const factory = this.services.authentication.mechanisms.find((candidate) => candidate.name === name);
    if (!factory) throw new SaslError('invalid-mechanism');
    if (factory.requiresEncryption && !this.encrypted) throw new SaslError('encryption-required');
    this.mechanismName = factory.name;
    const authentication = this.services.authentication;
    // The account a name stands for (aliases, extra addresses: auth/authentication.ts); the attempt
    // then waits its turn in the failed-login throttle, or is refused when its address is locked out.
    const account = async (username: string): Promise<string | null> => {
      const jid = await authentication.resolve(username, this.domain);
      const named = jid ?? (username.includes('@') ? username : `${normalizeLocalpart(username)}@${this.domain}`);
      if (this.attemptedJid === null) {
        const verdict = await this.services.throttle.beforeAttempt(this.remoteAddress, named);
        if (!verdict.allowed) {
          this.throttled = true;
          throw new SaslError('not-authorized', `Too many failed logins from your address; try again in ${Math.ceil(verdict.retryAfterMs / 1000)} s`);
        }
        this.attemptedJid = named;
      }
      return jid;
    };
    this.mechanism = factory.create({
      getCredential: async (username, hash) => {
        const jid = await account(username);
        return jid ? authentication.getCredential(jid, hash) : null;
      },
      checkPassword: async (username, password) => {
        const jid = await account(username);
        return jid !== null && authentication.checkPassword(jid, password);
      },
    });
    return this.apply(await this.mechanism.start(decode(auth.getText())));
  }

  private async respond(response: Element): Promise<SaslOutcome> {
    if (!this.mechanism) throw new SaslError('malformed-request', 'no authentication in progress');
    return this.apply(await this.mechanism.step(decode(response.getText())));
  }

  private async apply(step: SaslStep): Promise<SaslOutcome> {
    if (step.kind === 'challenge') {
      this.write(xml('challenge', { xmlns: NS.sasl }, step.data.toString('base64')));
      return { kind: 'continue' };
    }
    this.mechanism = null;
    // The account must exist, match the authzid, and be allowed to use IM (enabled, role, domain settings).
    const account = await this.services.authentication.authorize(step.username, step.authzid, this.domain);
    this.attemptedJid = null;
    this.services.signIns?.add(this.mechanismName, 'success');
    // RFC 6120 §6.3.10: additional data with success, '=' would mean empty; omit when none.
    this.write(xml('success', { xmlns: NS.sasl }, step.data ? step.data.toString('base64') : undefined));
    return { kind: 'success', username: account.local, domain: account.domain };
  }

  private fail(error: SaslError): SaslOutcome {
    // Only a wrong password or name counts; no IM role or an unreachable core is no guess.
    const guessed = error.condition === 'not-authorized' && !(error instanceof AccessDenied);
    if (guessed && this.attemptedJid !== null) this.services.throttle.recordFailure(this.remoteAddress, this.attemptedJid);
    this.attemptedJid = null;
    if (this.throttled) this.services.signIns?.add(this.mechanismName, 'throttled');
    else this.services.signIns?.add(this.mechanismName || 'none', 'failure', error.condition);
    this.throttled = false;
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
