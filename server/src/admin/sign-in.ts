// Admin accounts sign in to the console with their password: the request carries a SASL PLAIN
// message (RFC 4616), run by the server's own SASL code (stream/sasl-attempt.ts: the same password
// check — stored SCRAM verifiers or the suite's core — and the same failed-login throttle and log
// lines as an XMPP login). An enabled account holding the admin role (config.admin.accounts.role,
// directly or through a group) gets a console session: an HS256 JWT signed with a secret kept in the
// state storage, so that every node of a cluster accepts it. Each request checks again that the
// account is still enabled and still holds the role: a revoked admin is out at once.
import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Config } from '../config.ts';
import type { Storage } from '../storage/index.ts';
import type { Directory } from '../directory/types.ts';
import { AccessDenied } from '../auth/authentication.ts';
import { SaslAttempt, type SaslServices } from '../stream/sasl-attempt.ts';
import { NO_CHANNEL_BINDING, SaslError } from '../sasl/index.ts';

const STORE = 'admin';
const OWNER = 'console';
const KEY = 'session-secret';
const AUDIENCE = 'parley-admin-console';

export interface ConsoleSession {
  token: string;
  jid: string;
  expiresAt: string;
}

export class AdminSignIn {
  private secret: Promise<Uint8Array> | null = null;

  constructor(private readonly settings: Config['admin']['accounts'], private readonly storage: Storage, private readonly directory: Directory,
    private readonly sasl: SaslServices, private readonly defaultDomain: () => string) {}

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** Runs SASL PLAIN from `address`; a console session, or a SaslError saying why not. */
  async signIn(plainMessage: Buffer, address: string): Promise<ConsoleSession> {
    const factory = this.sasl.authentication.mechanisms.find((mechanism) => mechanism.name === 'PLAIN');
    if (!this.settings.enabled || !factory) throw new SaslError('invalid-mechanism', 'password sign-in is not enabled for the console');
    const attempt = new SaslAttempt(this.sasl, this.defaultDomain(), address, NO_CHANNEL_BINDING);
    try {
      const step = await attempt.start(factory, plainMessage);
      if (step.kind !== 'success') throw new SaslError('malformed-request', 'PLAIN takes the whole message at once');
      const jid = await this.sasl.authentication.resolve(step.username, this.defaultDomain());
      if (!jid) throw new SaslError('not-authorized');
      const refusal = await this.refusal(jid);
      if (refusal) throw new AccessDenied('not-authorized', refusal);
      const expires = Math.floor(Date.now() / 1000) + this.settings.sessionMinutes * 60;
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(jid).setAudience(AUDIENCE)
        .setIssuedAt().setExpirationTime(expires).sign(await this.key());
      this.sasl.log.info({ account: jid, address }, 'admin console sign-in');
      return { token, jid, expiresAt: new Date(expires * 1000).toISOString() };
    } catch (error) {
      if (error instanceof SaslError) attempt.failed(error);
      throw error;
    }
  }

  /** The admin account a console session token names, or null when it is not one (or no longer valid). */
  async verify(token: string): Promise<string | null> {
    if (!this.settings.enabled) return null;
    let jid: string | undefined;
    try {
      jid = (await jwtVerify(token, await this.key(), { algorithms: ['HS256'], audience: AUDIENCE, requiredClaims: ['exp', 'sub'] })).payload.sub;
    } catch {
      return null;
    }
    return jid && (await this.refusal(jid)) === null ? jid : null;
  }

  /** Why an account may not use the console, or null. */
  private async refusal(jid: string): Promise<string | null> {
    const user = await this.directory.users.get(jid);
    if (!user) return 'this account no longer exists';
    if (!user.enabled) return 'this account is disabled';
    if (!(await this.directory.groups.holdsRole(jid, this.settings.role))) return 'this account is not an administrator';
    return null;
  }

  private key(): Promise<Uint8Array> {
    this.secret ??= this.storage.transaction(async (tx) => {
      const store = tx.keyValue.open<string>(STORE);
      let secret = await store.get(OWNER, KEY);
      if (typeof secret !== 'string' || secret.length < 64) {
        secret = randomBytes(32).toString('hex');
        await store.set(OWNER, KEY, secret);
      }
      return new TextEncoder().encode(secret);
    });
    return this.secret;
  }
}
