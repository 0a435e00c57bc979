// PLAIN (RFC 4616) with the password checked by the suite's core instead of local SCRAM verifiers
// (auth/core-backend.ts). Offered instead of SCRAM when core auth is configured — SCRAM needs the
// verifiers, which a delegated backend does not have — and only over TLS (RFC 6120 §13.8).
import { SaslError } from './errors.ts';
import type { MechanismFactory, SaslAccountLookup, SaslMechanism, SaslStep } from './mechanism.ts';
import { parsePlainMessage } from './plain.ts';
import { prepareUsername, saslPrep } from './saslprep.ts';

class DelegatedPlainServer implements SaslMechanism {
  readonly name = 'PLAIN';
  private phase: 'initial' | 'awaiting-response' | 'done' = 'initial';

  constructor(private readonly accounts: SaslAccountLookup) {}

  async start(initial: Buffer): Promise<SaslStep> {
    if (this.phase !== 'initial') return this.fail(new SaslError('malformed-request', 'exchange already started'));
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

  private async authenticate(message: Buffer): Promise<SaslStep> {
    try {
      const { authzid, authcid, passwd } = parsePlainMessage(message);
      const username = prepareUsername(authcid);
      const password = saslPrep(passwd);
      if (password === '') throw new SaslError('malformed-request', 'empty passwd');
      if (!this.accounts.checkPassword) throw new SaslError('temporary-auth-failure');
      if (!(await this.accounts.checkPassword(username, password))) throw new SaslError('not-authorized');
      this.phase = 'done';
      const success: SaslStep = { kind: 'success', username };
      if (authzid !== '') success.authzid = authzid;
      return success;
    } catch (error) {
      return this.fail(error);
    }
  }

  private fail(error: unknown): never {
    this.phase = 'done';
    throw error instanceof SaslError ? error : new SaslError('temporary-auth-failure');
  }
}

export const delegatedPlain: MechanismFactory = {
  name: 'PLAIN',
  requiresEncryption: true,
  create: (accounts) => new DelegatedPlainServer(accounts),
};
