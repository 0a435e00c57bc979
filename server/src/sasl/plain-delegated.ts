// PLAIN (RFC 4616) with the password checked by the suite's core instead of local SCRAM verifiers
// (auth/core-backend.ts). Offered instead of SCRAM when core auth is configured — SCRAM needs the
// verifiers, which a delegated backend does not have — and only over TLS (RFC 6120 §13.8).
import { SaslError } from './errors.ts';
import type { MechanismFactory } from './mechanism.ts';
import { createPlain, type PasswordCheck } from './plain.ts';

const checkWithCore: PasswordCheck = async (accounts, username, password) => {
  if (!accounts.checkPassword) throw new SaslError('temporary-auth-failure');
  return accounts.checkPassword(username, password);
};

export const delegatedPlain: MechanismFactory = {
  name: 'PLAIN',
  requiresEncryption: true,
  create: (accounts) => createPlain(accounts, checkWithCore),
};
