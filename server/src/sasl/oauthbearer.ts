// OAUTHBEARER (RFC 7628): the client sends a GS2 header and key/value pairs, one of them
// auth=Bearer <token>; the server verifies the token. A refused token gets the RFC 7628 §3.2.2
// error challenge (a JSON status), the client answers with a single %x01, and then the <failure/>.
// Bearer tokens travel in the clear inside SASL, so the mechanism needs TLS (RFC 6750 §5.3).
import { SaslError } from './errors.ts';
import type { MechanismFactory, SaslMechanism, SaslStep } from './mechanism.ts';

const KVSEP = '\x01';
/** RFC 7628 §3.1: key = 1*(ALPHA); value = *(VCHAR / SP / HTAB / CR / LF). */
const KEY = /^[A-Za-z]+$/;
const VALUE = /^[\x21-\x7e \t\r\n]*$/;
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const MAX_MESSAGE_BYTES = 16 * 1024;

export interface OAuthBearerMessage {
  authzid: string;
  token: string;
  pairs: Map<string, string>;
}

function malformed(text: string): never {
  throw new SaslError('malformed-request', text);
}

/** Parse `gs2-header kvsep *kvpair kvsep` (RFC 7628 §3.1, GS2 header from RFC 5801 §4). */
export function parseOAuthBearer(message: Buffer): OAuthBearerMessage {
  if (message.length > MAX_MESSAGE_BYTES) malformed('message too long');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(message);
  } catch {
    return malformed('message is not valid UTF-8');
  }
  const headerEnd = text.indexOf(KVSEP);
  if (headerEnd === -1 || !text.endsWith(KVSEP + KVSEP)) malformed('expected gs2-header %x01 kvpairs %x01');
  const header = text.slice(0, headerEnd).split(',');
  if (header.length !== 3 || header[2] !== '') malformed('bad GS2 header');
  // 'p=' would ask for channel binding, which OAUTHBEARER does not define (RFC 7628 §3.1).
  if (header[0] !== 'n' && header[0] !== 'y') malformed('channel binding is not supported');
  let authzid = '';
  if (header[1] !== '') {
    if (!header[1]!.startsWith('a=')) malformed('bad GS2 authzid');
    authzid = header[1]!.slice(2).replace(/=2C/g, ',').replace(/=3D/g, '=');
  }
  const pairs = new Map<string, string>();
  for (const pair of text.slice(headerEnd + 1, -2).split(KVSEP)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    if (eq === -1 || !KEY.test(key) || !VALUE.test(value)) malformed('bad key/value pair');
    pairs.set(key, value);
  }
  const token = BEARER.exec(pairs.get('auth') ?? '')?.[1];
  if (!token) malformed('no auth=Bearer token');
  return { authzid, token, pairs };
}

/** Verifies a token: the identity it names, or a SaslError (not-authorized with a reason, temporary-auth-failure). */
export type BearerTokenCheck = (token: string) => Promise<string>;

class OAuthBearerServer implements SaslMechanism {
  readonly name = 'OAUTHBEARER';
  private phase: 'initial' | 'awaiting-response' | 'awaiting-error-ack' | 'done' = 'initial';
  private refusal: SaslError | null = null;

  constructor(private readonly check: BearerTokenCheck) {}

  async start(initial: Buffer): Promise<SaslStep> {
    if (this.phase !== 'initial') return this.fail(new SaslError('malformed-request', 'exchange already started'));
    if (initial.length === 0) {
      // a client-first mechanism without the initial response: ask for it with an empty challenge
      this.phase = 'awaiting-response';
      return { kind: 'challenge', data: Buffer.alloc(0) };
    }
    return this.authenticate(initial);
  }

  async step(response: Buffer): Promise<SaslStep> {
    if (this.phase === 'awaiting-response') return this.authenticate(response);
    if (this.phase === 'awaiting-error-ack') {
      // RFC 7628 §3.2.3: the client acknowledges the error with a single %x01; then the exchange fails.
      return this.fail(this.refusal ?? new SaslError('not-authorized'));
    }
    return this.fail(new SaslError('malformed-request', 'unexpected response'));
  }

  private async authenticate(message: Buffer): Promise<SaslStep> {
    let parsed: OAuthBearerMessage;
    try {
      parsed = parseOAuthBearer(message);
    } catch (error) {
      return this.fail(error);
    }
    let identity: string;
    try {
      identity = await this.check(parsed.token);
    } catch (error) {
      if (!(error instanceof SaslError) || error.condition !== 'not-authorized') return this.fail(error);
      // RFC 7628 §3.2.2: a refused token gets an error challenge before the failure.
      this.refusal = error;
      this.phase = 'awaiting-error-ack';
      return { kind: 'challenge', data: Buffer.from(JSON.stringify({ status: 'invalid_token', schemes: 'bearer' })) };
    }
    this.phase = 'done';
    const success: SaslStep = { kind: 'success', username: identity };
    if (parsed.authzid !== '') success.authzid = parsed.authzid;
    return success;
  }

  private fail(error: unknown): never {
    this.phase = 'done';
    throw error instanceof SaslError ? error : new SaslError('temporary-auth-failure');
  }
}

export function oauthBearer(check: BearerTokenCheck): MechanismFactory {
  return { name: 'OAUTHBEARER', requiresEncryption: true, create: () => new OAuthBearerServer(check) };
}
