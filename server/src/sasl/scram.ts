// Server side of SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677), and their -PLUS variants
// with channel binding (RFC 5802 §6; tls-exporter RFC 9266, tls-server-end-point RFC 5929).
//
//   C: n,,n=user,r=<c-nonce>                      (client-first, §5.1; "p=<type>,," for -PLUS)
//   S: r=<c-nonce><s-nonce>,s=<salt>,i=<count>    (server-first)
//   C: c=biws,r=<c-nonce><s-nonce>,p=<proof>      (client-final; c = base64(gs2-header + cb-data))
//   S: v=<ServerSignature>                        (server-final, sent in <success/>)
import { randomBytes } from 'node:crypto';
import { DEFAULT_ITERATIONS, type ScramCredential, type ScramHash } from './credentials.ts';
import { SaslError } from './errors.ts';
import { parseChannelBindingType } from './channel-binding.ts';
import { NO_CHANNEL_BINDING, type MechanismContext, type MechanismFactory, type SaslAccountLookup, type SaslMechanism, type SaslStep } from './mechanism.ts';
import { H, HMAC, digestLength, safeEqual, xor } from './primitives.ts';
import { prepareUsername } from './saslprep.ts';
import { decodeUtf8, isPrintableNonce, parseClientFinal, parseClientFirst, type ClientFirst } from './scram-messages.ts';

export interface ScramOptions {
  /** Server nonce generator (tests inject RFC vectors); default is 18 random bytes, base64. */
  nonce?: () => string;
}

const SERVER_NONCE_BYTES = 18;

/** Per-process secret behind the decoy credentials for unknown users. */
const decoySecret = randomBytes(32);

/**
 * A decoy credential for a username with no account (RFC 5802 §9: do not
 * reveal whether a user exists). The salt is deterministic per username for
 * the life of the process, so repeated probes see a stable salt just as for a
 * real account; the keys are unguessable, so the proof can never verify.
 */
function decoyCredential(username: string, hash: ScramHash): ScramCredential {
  const derive = (label: string, length: number) =>
    HMAC('SHA-256', decoySecret, `${label}\0${hash}\0${username}`).subarray(0, length).toString('base64');
  return {
    hash,
    salt: derive('salt', 16),
    iterations: DEFAULT_ITERATIONS,
    storedKey: derive('stored-key', digestLength(hash)),
    serverKey: derive('server-key', digestLength(hash)),
  };
}

type State =
  | { phase: 'initial' }
  | { phase: 'awaiting-client-first' }
  | {
      phase: 'awaiting-client-final';
      /** What c= must carry: the gs2-header, then the channel binding data for 'p' (RFC 5802 §7). */
      expectedBinding: Buffer;
      bindingUsed: boolean;
      authzid: string | undefined;
      username: string;
      clientFirstBare: string;
      nonce: string;
      serverFirst: string;
      credential: ScramCredential;
      known: boolean;
    }
  | { phase: 'done' };

class ScramServer implements SaslMechanism {
  readonly name: string;
  private readonly hash: ScramHash;
  private readonly accounts: SaslAccountLookup;
  private readonly options: ScramOptions;
  private state: State = { phase: 'initial' };

  constructor(hash: ScramHash, private readonly plus: boolean, accounts: SaslAccountLookup,
    private readonly context: MechanismContext, options: ScramOptions) {
    this.name = `SCRAM-${hash}${plus ? '-PLUS' : ''}`;
    this.hash = hash;
    this.accounts = accounts;
    this.options = options;
  }

  start(initial: Buffer): Promise<SaslStep> {
    return this.guard(async () => {
      if (this.state.phase !== 'initial') throw new SaslError('malformed-request', 'exchange already started');
      // No initial response: ask for it with an empty challenge (RFC 6120 §6.4.2).
      if (initial.length === 0) {
        this.state = { phase: 'awaiting-client-first' };
        return { kind: 'challenge', data: Buffer.alloc(0) };
      }
      return this.clientFirst(initial);
    });
  }

  step(response: Buffer): Promise<SaslStep> {
    return this.guard(async () => {
      switch (this.state.phase) {
        case 'awaiting-client-first':
          return this.clientFirst(response);
        case 'awaiting-client-final':
          return this.clientFinal(response);
        default:
          throw new SaslError('malformed-request', 'unexpected response');
      }
    });
  }

  /** Any failure ends the exchange; non-SASL errors become temporary-auth-failure (RFC 6120 §6.5.11). */
  private async guard(fn: () => Promise<SaslStep>): Promise<SaslStep> {
    try {
      return await fn();
    } catch (err) {
      this.state = { phase: 'done' };
      if (err instanceof SaslError) throw err;
      throw new SaslError('temporary-auth-failure');
    }
  }

  private async clientFirst(message: Buffer): Promise<SaslStep> {
    const first = parseClientFirst(decodeUtf8(message));
    const expectedBinding = this.channelBindingInput(first.gs2Header, first.cbindFlag);
    const username = prepareUsername(first.username);

    const stored = await this.accounts.getCredential(username, this.hash);
    if (stored && stored.hash !== this.hash) throw new SaslError('temporary-auth-failure');
    const credential = stored ?? decoyCredential(username, this.hash);

    const serverNonce = this.options.nonce?.() ?? randomBytes(SERVER_NONCE_BYTES).toString('base64');
    if (!isPrintableNonce(serverNonce)) throw new Error('invalid server nonce');
    const nonce = first.nonce + serverNonce;
    const serverFirst = `r=${nonce},s=${credential.salt},i=${credential.iterations}`;

    this.state = {
      phase: 'awaiting-client-final',
      expectedBinding,
      bindingUsed: first.cbindFlag.kind === 'p',
      authzid: first.authzid,
      username,
      clientFirstBare: first.bare,
      nonce,
      serverFirst,
      credential,
      known: stored !== null,
    };
    return { kind: 'challenge', data: Buffer.from(serverFirst, 'utf8') };
  }

  /**
   * The gs2-cbind-flag against the mechanism and the connection (RFC 5802 §6), and the bytes c= must
   * then hold: the gs2-header, plus the binding data of the named type for 'p'.
   */
  private channelBindingInput(gs2Header: string, flag: ClientFirst['cbindFlag']): Buffer {
    const header = Buffer.from(gs2Header, 'utf8');
    if (this.plus) {
      if (flag.kind !== 'p') throw new SaslError('malformed-request', `${this.name} requires channel binding (gs2-cbind-flag p=)`);
    } else {
      if (flag.kind === 'p') throw new SaslError('malformed-request', 'channel binding needs a -PLUS mechanism');
      // 'y': the client could bind but believes the server cannot. We offered -PLUS, so someone
      // removed it on the way: a downgrade attack (RFC 5802 §6).
      if (flag.kind === 'y' && this.context.plusOffered) {
        throw new SaslError('malformed-request', 'channel binding is supported here; possible downgrade');
      }
      return header;
    }
    const type = parseChannelBindingType(flag.type);
    const data = type ? this.context.channelBinding?.data(type) ?? null : null;
    if (!data) throw new SaslError('malformed-request', `unsupported channel binding type ${flag.type}`);
    return Buffer.concat([header, data]);
  }

  private async clientFinal(message: Buffer): Promise<SaslStep> {
    const s = this.state;
    if (s.phase !== 'awaiting-client-final') throw new SaslError('malformed-request');
    const final = parseClientFinal(decodeUtf8(message));

    // c= carries the gs2-header, followed by the connection's binding data when bound (RFC 5802 §5.1 "c").
    if (!safeEqual(final.channelBinding, s.expectedBinding)) {
      // With binding, a mismatch is what a relaying man in the middle produces: the proof fails.
      if (s.bindingUsed) throw new SaslError('not-authorized', 'channel binding mismatch');
      throw new SaslError('malformed-request', 'channel binding data mismatch');
    }
    if (final.nonce !== s.nonce) throw new SaslError('malformed-request', 'nonce mismatch');
    if (final.proof.length !== digestLength(this.hash)) throw new SaslError('malformed-request', 'bad proof length');

    // RFC 5802 §3:
    //   AuthMessage     := client-first-message-bare + "," + server-first-message + "," + client-final-message-without-proof
    //   ClientSignature := HMAC(StoredKey, AuthMessage)
    //   ClientKey       := ClientProof XOR ClientSignature;  verify H(ClientKey) == StoredKey
    //   ServerSignature := HMAC(ServerKey, AuthMessage)
    const authMessage = `${s.clientFirstBare},${s.serverFirst},${final.withoutProof}`;
    const storedKey = Buffer.from(s.credential.storedKey, 'base64');
    const clientSignature = HMAC(this.hash, storedKey, authMessage);
    const clientKey = xor(final.proof, clientSignature);
    const proofOk = safeEqual(H(this.hash, clientKey), storedKey);
    // Decoy credentials run the same computation and then fail here, so an
    // unknown user is indistinguishable from a wrong password.
    if (!proofOk || !s.known) throw new SaslError('not-authorized');

    const serverSignature = HMAC(this.hash, Buffer.from(s.credential.serverKey, 'base64'), authMessage);
    this.state = { phase: 'done' };
    const success: SaslStep = {
      kind: 'success',
      username: s.username,
      data: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'),
    };
    if (s.authzid !== undefined) success.authzid = s.authzid;
    return success;
  }
}

/** A fresh server-side SCRAM exchange for one authentication attempt. */
export function createScram(hash: ScramHash, accounts: SaslAccountLookup, options: ScramOptions = {},
  context: MechanismContext = NO_CHANNEL_BINDING, plus = false): SaslMechanism {
  return new ScramServer(hash, plus, accounts, context, options);
}

export const scramSha256: MechanismFactory = {
  name: 'SCRAM-SHA-256',
  requiresEncryption: false,
  create: (accounts, context) => createScram('SHA-256', accounts, {}, context),
};

export const scramSha1: MechanismFactory = {
  name: 'SCRAM-SHA-1',
  requiresEncryption: false,
  create: (accounts, context) => createScram('SHA-1', accounts, {}, context),
};

/** Channel binding exists only on TLS, so the -PLUS variants are offered only there. */
export const scramSha256Plus: MechanismFactory = {
  name: 'SCRAM-SHA-256-PLUS',
  requiresEncryption: true,
  requiresChannelBinding: true,
  create: (accounts, context) => createScram('SHA-256', accounts, {}, context, true),
};

export const scramSha1Plus: MechanismFactory = {
  name: 'SCRAM-SHA-1-PLUS',
  requiresEncryption: true,
  requiresChannelBinding: true,
  create: (accounts, context) => createScram('SHA-1', accounts, {}, context, true),
};
