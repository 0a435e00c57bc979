// One SASL authentication attempt, whichever XML carries it (RFC 6120 §6 in sasl-negotiation.ts,
// XEP-0388 SASL2 in sasl2/negotiation.ts): a mechanism run against the accounts, the failed-login
// throttle, the IM access check once the mechanism succeeded, and the count of outcomes (metrics).
import { normalizeLocalpart, type JID } from '@parley/shared';
import { AccessDenied, type Authentication } from '../auth/authentication.ts';
import {
  SaslError, type HashedTokenProof, type LoginThrottle, type MechanismContext, type MechanismFactory, type SaslMechanism,
  type SaslStep,
} from '../sasl/index.ts';
import type { SignInCounts } from '../metrics/counters.ts';
import type { Logger } from '../logger.ts';

/** What SASL negotiation uses (RFC 6120 SASL and SASL2 alike): the mechanisms and account checks, and the failed-login throttle. */
export interface SaslServices {
  readonly authentication: Authentication;
  readonly throttle: LoginThrottle;
  /** Every refused login is logged here at info, with the account, the address and the reason. */
  readonly log: Pick<Logger, 'info'>;
  /** Outcomes by mechanism, for the metrics. */
  readonly signIns?: SignInCounts;
}

/** Checks a FAST token proof for an account (auth/fast-tokens.ts, with the client's id). */
export type TokenCheck = (jid: string, proof: HashedTokenProof) => Promise<Buffer>;

export class SaslAttempt {
  private mechanism: SaslMechanism | null = null;
  /** The account the attempt names, once the throttle let it through (sasl/throttle.ts). */
  private attemptedJid: string | null = null;
  /** The account the attempt names, throttled or not: for the log. */
  private namedJid: string | null = null;
  /** The mechanism of the current attempt, and whether the throttle refused it (for the metrics). */
  private mechanismName = '';
  private throttled = false;

  constructor(
    private readonly services: SaslServices,
    private readonly domain: string,
    private readonly remoteAddress: string,
    private readonly context: MechanismContext,
    private readonly checkToken: TokenCheck | null = null,
  ) {}

  get inProgress(): boolean {
    return this.mechanism !== null;
  }

  /** Runs the mechanism's first step; throws SaslError. */
  start(factory: MechanismFactory, initial: Buffer): Promise<SaslStep> {
    if (this.mechanism) throw new SaslError('malformed-request', 'authentication already in progress');
    this.mechanismName = factory.name;
    const authentication = this.services.authentication;
    // The account a name stands for (aliases, extra addresses: auth/authentication.ts); the attempt
    // then waits its turn in the failed-login throttle, or is refused when its address is locked out.
    const account = async (username: string): Promise<string | null> => {
      const jid = await authentication.resolve(username, this.domain);
      const named = jid ?? (username.includes('@') ? username : `${normalizeLocalpart(username)}@${this.domain}`);
      this.namedJid = named;
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
    const checkToken = this.checkToken;
    this.mechanism = factory.create({
      getCredential: async (username, hash) => {
        const jid = await account(username);
        return jid ? authentication.getCredential(jid, hash) : null;
      },
      checkPassword: async (username, password) => {
        const jid = await account(username);
        return jid !== null && authentication.checkPassword(jid, password);
      },
      verifyHashedToken: async (username, proof) => {
        const jid = await account(username);
        if (!jid || !checkToken) throw new SaslError('not-authorized');
        return checkToken(jid, proof);
      },
    }, this.context);
    return this.mechanism.start(initial);
  }

  /** The next client response; throws SaslError. */
  respond(data: Buffer): Promise<SaslStep> {
    if (!this.mechanism) throw new SaslError('malformed-request', 'no authentication in progress');
    return this.mechanism.step(data);
  }

  /**
   * The mechanism succeeded: the account must exist, match the authzid, and be allowed to use IM
   * (enabled, role, domain settings). Throws SaslError (AccessDenied for IM access).
   */
  async authorize(step: SaslStep & { kind: 'success' }): Promise<JID> {
    this.mechanism = null;
    const account = await this.services.authentication.authorize(step.username, step.authzid, this.domain);
    this.attemptedJid = null;
    this.services.signIns?.add(this.mechanismName, 'success');
    this.mechanismName = '';
    return account;
  }

  /** The attempt failed: a wrong password or name counts towards the lockout; no IM role or an unreachable core is no guess. */
  failed(error: SaslError): void {
    this.mechanism = null;
    const guessed = error.condition === 'not-authorized' && !(error instanceof AccessDenied);
    if (guessed && this.attemptedJid !== null) this.services.throttle.recordFailure(this.remoteAddress, this.attemptedJid);
    this.services.log.info({
      account: this.attemptedJid ?? this.namedJid, address: this.remoteAddress, domain: this.domain, mechanism: this.mechanismName || undefined,
      condition: error.condition, reason: error.text ?? (guessed ? 'wrong password or unknown account' : error.condition),
    }, 'login refused');
    this.attemptedJid = null;
    this.namedJid = null;
    if (this.throttled) this.services.signIns?.add(this.mechanismName, 'throttled');
    else this.services.signIns?.add(this.mechanismName || 'none', 'failure', error.condition);
    this.mechanismName = '';
    this.throttled = false;
  }
}
