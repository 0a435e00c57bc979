// Who may log in, and how: the SASL mechanisms this server offers (local SCRAM, or PLAIN checked by
// the suite's core, plus OAUTHBEARER single sign-on when configured), the mapping of a login name
// to an account (aliases, extra email addresses) and the IM access check after the mechanism
// succeeded. stream/sasl-negotiation.ts speaks the XML; this decides.
import { parseJid, normalizeLocalpart, type JID } from '@parley/shared';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Storage } from '../storage/index.ts';
import type { Directory } from '../directory/types.ts';
import { checkImAccess } from '../directory/access.ts';
import { plain, scramSha1, scramSha1Plus, scramSha256, scramSha256Plus, SaslError, type MechanismFactory, type SaslCondition } from '../sasl/index.ts';
import { oauthBearer } from '../sasl/oauthbearer.ts';
import { delegatedPlain } from '../sasl/plain-delegated.ts';
import { CoreAuthBackend, CoreUnavailableError } from './core-backend.ts';
import { JwtVerifier, TokenError, tokenSubject } from './tokens.ts';

/**
 * The credentials were right but the account may not use IM (or is disabled): a failure that is
 * not a guessed password, so it does not count towards the lockout (sasl/throttle.ts).
 */
export class AccessDenied extends SaslError {
  constructor(condition: SaslCondition, text: string) {
    super(condition, text);
    this.name = 'AccessDenied';
  }
}

export class Authentication {
  /** In server preference order (RFC 6120 §6.3.3). */
  readonly mechanisms: MechanismFactory[];
  private readonly core: CoreAuthBackend | null;
  private readonly sso: { verifier: JwtVerifier; claim: string } | null;

  constructor(config: Config, private readonly storage: Storage, private readonly directory: Directory, private readonly log: Logger) {
    this.core = config.coreAuth ? new CoreAuthBackend(config.coreAuth) : null;
    this.sso = config.sso ? { verifier: new JwtVerifier(config.sso), claim: config.sso.userClaim } : null;
    const bearer = this.sso ? [oauthBearer((token) => this.checkToken(token))] : [];
    // With delegated passwords there are no SCRAM verifiers: PLAIN over TLS checked by the core.
    // The -PLUS variants come first: where the connection has channel binding they are the strongest.
    this.mechanisms = this.core
      ? [...bearer, delegatedPlain]
      : [scramSha256Plus, scramSha1Plus, scramSha256, scramSha1, ...bearer, plain];
  }

  get delegatesPasswords(): boolean {
    return this.core !== null;
  }

  /**
   * A SASL authentication identity on a stream to `streamDomain` — a localpart, or a whole address —
   * as the account's JID (through domain aliases and extra email addresses), or null when no account
   * has that name. Throws not-authorized for a name that cannot be an address.
   */
  async resolve(authcid: string, streamDomain: string): Promise<string | null> {
    let address: string;
    try {
      if (authcid.includes('@')) {
        const jid = parseJid(authcid);
        if (!jid.local || !jid.isBare) throw new Error('not a bare JID');
        address = jid.bare;
      } else {
        address = `${normalizeLocalpart(authcid)}@${streamDomain}`;
      }
    } catch {
      throw new SaslError('not-authorized');
    }
    return this.directory.users.resolve(address);
  }

  getCredential(jid: string, hash: 'SHA-1' | 'SHA-256') {
    return this.storage.accounts.getCredential(jid, hash);
  }

  /** PLAIN with core auth: the core's answer, or temporary-auth-failure when it cannot give one. */
  async checkPassword(jid: string, password: string): Promise<boolean> {
    if (!this.core) throw new SaslError('temporary-auth-failure');
    try {
      return await this.core.check(jid, password);
    } catch (error) {
      if (!(error instanceof CoreUnavailableError)) throw error;
      this.log.warn({ err: error.message, jid }, 'core auth backend unavailable');
      throw new SaslError('temporary-auth-failure', 'the authentication service is unavailable; try again later');
    }
  }

  /**
   * After a mechanism succeeded: the account it names, which must belong to the stream's domain (or
   * an alias of it), match the authzid if one was given, and be allowed to use IM.
   */
  async authorize(identity: string, authzid: string | undefined, streamDomain: string): Promise<JID> {
    const jid = await this.resolve(identity, streamDomain);
    if (!jid) throw new SaslError('not-authorized', identity.includes('@') ? `there is no account for ${identity}` : undefined);
    const account = parseJid(jid);
    const names = await this.directory.domains.names();
    if (account.domain !== (names.get(streamDomain) ?? streamDomain)) {
      throw new AccessDenied('not-authorized', `this account belongs to ${account.domain}; connect to that domain`);
    }
    if (authzid !== undefined && authzid !== '') {
      // RFC 6120 §6.3.8: this server only lets an entity act as itself.
      let requested: string | null;
      try {
        requested = await this.resolve(authzid, streamDomain);
      } catch {
        requested = null;
      }
      if (requested !== jid) throw new SaslError('invalid-authzid');
    }
    const decision = await checkImAccess(this.directory, jid);
    if (!decision.allowed) throw new AccessDenied(decision.condition, decision.reason);
    return account;
  }

  /** OAUTHBEARER: the user the token names, or why it is refused. */
  private async checkToken(token: string): Promise<string> {
    const sso = this.sso!;
    try {
      const subject = tokenSubject(await sso.verifier.verify(token), sso.claim);
      if (!subject) throw new SaslError('not-authorized', `the token names no user (no ${sso.claim} or sub claim)`);
      return subject;
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      if (error.problem === 'unavailable') {
        this.log.warn({ err: error.message }, 'single sign-on keys unavailable');
        throw new SaslError('temporary-auth-failure', `${error.message}; try again later`);
      }
      throw new SaslError('not-authorized', error.message);
    }
  }
}
