// PLAIN (RFC 4616): message = [authzid] UTF8NUL authcid UTF8NUL passwd.
// Only offered over an encrypted stream (RFC 4616 §6, RFC 6120 §13.8), and
// checked against the stored SCRAM verifiers — the password is never stored.
import { deriveScramCredential, verifyPassword, type ScramCredential } from './credentials.ts';
import { SaslError } from './errors.ts';
import type { MechanismFactory, SaslAccountLookup, SaslMechanism, SaslStep } from './mechanism.ts';
import { prepareUsername, saslPrep } from './saslprep.ts';

/** RFC 4616 §2: each field is at most 255 octets. */
const MAX_FIELD_BYTES = 255;

interface PlainMessage {
  authzid: string;
  authcid: string;
  passwd: string;
}

function malformed(text: string): never {
  throw new SaslError('malformed-request', text);
}

/** Split and validate the PLAIN message (RFC 4616 §2 ABNF). */
export function parsePlainMessage(message: Buffer): PlainMessage {
  const fields: Buffer[] = [];
  let from = 0;
  for (let nul = message.indexOf(0); nul >= 0; nul = message.indexOf(0, from)) {
    fields.push(message.subarray(from, nul));
    from = nul + 1;
  }
  fields.push(message.subarray(from));
  if (fields.length !== 3) malformed('expected [authzid] NUL authcid NUL passwd');

  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const [authzid, authcid, passwd] = fields.map((field) => {
    if (field.length > MAX_FIELD_BYTES) malformed('field too long');
    try {
      return decoder.decode(field);
    } catch {
      return malformed('field is not valid UTF-8');
    }
  }) as [string, string, string];
  if (authcid === '' || passwd === '') malformed('empty authcid or passwd');
  return { authzid, authcid, passwd };
}

/** Decoy verifier so unknown users cost the same PBKDF2 work as real ones. */
let decoy: Promise<ScramCredential> | undefined;
function decoyCredential(): Promise<ScramCredential> {
  decoy ??= deriveScramCredential('decoy password', 'SHA-256');
  return decoy;
}

/** How PLAIN checks a password: against stored verifiers here, or by the suite's core (plain-delegated.ts). */
export type PasswordCheck = (accounts: SaslAccountLookup, username: string, password: string) => Promise<boolean>;

/** Against the stored SCRAM verifiers; unknown users cost the same PBKDF2 work as real ones. */
const checkStoredVerifier: PasswordCheck = async (accounts, username, password) => {
  const credential =
    (await accounts.getCredential(username, 'SHA-256')) ??
    (await accounts.getCredential(username, 'SHA-1'));
  const ok = await verifyPassword(password, credential ?? (await decoyCredential()));
  return ok && credential !== null;
};

class PlainServer implements SaslMechanism {
  readonly name = 'PLAIN';
  private readonly accounts: SaslAccountLookup;
  private phase: 'initial' | 'awaiting-response' | 'done' = 'initial';

  constructor(accounts: SaslAccountLookup, private readonly check: PasswordCheck) {
    this.accounts = accounts;
  }

  async start(initial: Buffer): Promise<SaslStep> {
    if (this.phase !== 'initial') return this.fail(new SaslError('malformed-request', 'exchange already started'));
    // No initial response: send an empty challenge (RFC 4616 §2, RFC 6120 §6.4.2).
    if (initial.length === 0) {
      this.phase = 'awaiting-response';
      return { kind: 'challenge', data: Buffer.alloc(0) };
    }
    return this.authenticate(initial);
  }

  async step(response: Buffer): Promise<SaslStep> {
    if (this.phase !== 'awaiting-response') return this.fail(new SaslError('malformed-request', 'unexpected response'));
    return this.authenticate(response);
  }

  private fail(err: unknown): never {
    this.phase = 'done';
    throw err instanceof SaslError ? err : new SaslError('temporary-auth-failure');
  }

  private async authenticate(message: Buffer): Promise<SaslStep> {
    try {
      const { authzid, authcid, passwd } = parsePlainMessage(message);
      // RFC 4616 §2: authcid and passwd are prepared with SASLprep before use.
      const username = prepareUsername(authcid);
      const password = saslPrep(passwd);
      if (password === '') malformed('empty passwd');

      if (!(await this.check(this.accounts, username, password))) throw new SaslError('not-authorized');

      this.phase = 'done';
      const success: SaslStep = { kind: 'success', username };
      if (authzid !== '') success.authzid = authzid;
      return success;
    } catch (err) {
      return this.fail(err);
    }
  }
}

export function createPlain(accounts: SaslAccountLookup, check: PasswordCheck = checkStoredVerifier): SaslMechanism {
  return new PlainServer(accounts, check);
}

export const plain: MechanismFactory = {
  name: 'PLAIN',
  requiresEncryption: true,
  create: (accounts) => createPlain(accounts),
};
