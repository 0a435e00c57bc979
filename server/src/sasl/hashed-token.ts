// The Hashed Token mechanisms HT-SHA-256-* (draft-schmaus-kitten-sasl-ht-08, as XEP-0484 FAST
// uses them): one round trip, the token never sent.
//   C: authcid NUL HMAC(token, "Initiator" || cb-data)      (initial response)
//   S: HMAC(token, "Responder" || cb-data)                  (additional data of the success)
// The suffix names the channel binding: NONE (no cb-data), EXPR (tls-exporter, RFC 9266), ENDP
// (tls-server-end-point, RFC 5929). UNIQ (tls-unique) is not offered: see channel-binding.ts.
// These mechanisms are offered only inside SASL2's FAST inline feature, never in the plain list.
import type { ChannelBindingType } from './channel-binding.ts';
import { SaslError } from './errors.ts';
import { NO_CHANNEL_BINDING, type MechanismContext, type MechanismFactory, type SaslAccountLookup, type SaslMechanism, type SaslStep } from './mechanism.ts';
import { prepareUsername } from './saslprep.ts';

const HASH_BYTES = 32;
/** authcid is a username or a bare JID; a bound keeps junk from reaching the account lookup. */
const MAX_MESSAGE_BYTES = 1024 + 1 + HASH_BYTES;

/** The HT mechanisms, in server preference order: channel binding first (XEP-0484 §3.1). */
export const HASHED_TOKEN_MECHANISMS: ReadonlyArray<{ name: string; binding: ChannelBindingType | null }> = [
  { name: 'HT-SHA-256-EXPR', binding: 'tls-exporter' },
  { name: 'HT-SHA-256-ENDP', binding: 'tls-server-end-point' },
  { name: 'HT-SHA-256-NONE', binding: null },
];

class HashedTokenServer implements SaslMechanism {
  private done = false;

  constructor(
    readonly name: string,
    private readonly binding: ChannelBindingType | null,
    private readonly accounts: SaslAccountLookup,
    private readonly context: MechanismContext,
  ) {}

  async start(initial: Buffer): Promise<SaslStep> {
    if (this.done) return this.fail(new SaslError('malformed-request', 'exchange already started'));
    this.done = true;
    try {
      return await this.authenticate(initial);
    } catch (error) {
      return this.fail(error);
    }
  }

  async step(): Promise<SaslStep> {
    // One round trip only (the draft's §3): there is nothing to respond to.
    return this.fail(new SaslError('malformed-request', 'unexpected response'));
  }

  private async authenticate(message: Buffer): Promise<SaslStep> {
    if (message.length === 0) throw new SaslError('malformed-request', `${this.name} needs an initial response`);
    if (message.length > MAX_MESSAGE_BYTES) throw new SaslError('malformed-request', 'message too long');
    const nul = message.indexOf(0);
    if (nul <= 0) throw new SaslError('malformed-request', 'expected authcid NUL hashed-token');
    const initiatorHash = message.subarray(nul + 1);
    if (initiatorHash.length !== HASH_BYTES) throw new SaslError('malformed-request', 'bad hashed token length');
    let authcid: string;
    try {
      authcid = new TextDecoder('utf-8', { fatal: true }).decode(message.subarray(0, nul));
    } catch {
      throw new SaslError('malformed-request', 'authcid is not valid UTF-8');
    }
    const username = prepareUsername(authcid);

    let channelBindingData: Buffer = Buffer.alloc(0);
    if (this.binding) {
      const data = this.context.channelBinding?.data(this.binding) ?? null;
      if (!data) throw new SaslError('malformed-request', `no ${this.binding} channel binding on this connection`);
      channelBindingData = data;
    }
    if (!this.accounts.verifyHashedToken) throw new SaslError('temporary-auth-failure');
    const responder = await this.accounts.verifyHashedToken(username, { mechanism: this.name, initiatorHash, channelBindingData });
    return { kind: 'success', username, data: responder };
  }

  private fail(error: unknown): never {
    this.done = true;
    throw error instanceof SaslError ? error : new SaslError('temporary-auth-failure');
  }
}

/** The factory of one HT mechanism; binding ones are offered only where the connection has that binding. */
export function hashedTokenMechanism(name: string): MechanismFactory | null {
  const entry = HASHED_TOKEN_MECHANISMS.find((candidate) => candidate.name === name);
  if (!entry) return null;
  return {
    name,
    // XEP-0484 §6: FAST only over a secure connection.
    requiresEncryption: true,
    requiresChannelBinding: entry.binding !== null,
    create: (accounts, context = NO_CHANNEL_BINDING) => new HashedTokenServer(name, entry.binding, accounts, context),
  };
}

/** The HT mechanisms a connection can use (binding ones only with that binding's data). */
export function offeredHashedTokenMechanisms(context: MechanismContext): string[] {
  const types = context.channelBinding?.types ?? [];
  return HASHED_TOKEN_MECHANISMS.filter((entry) => entry.binding === null || types.includes(entry.binding)).map((entry) => entry.name);
}
