// Test helper (not a test file): an in-memory SaslAccountLookup.
import { deriveScramCredential, type ScramCredential, type ScramHash } from './credentials.ts';
import type { SaslAccountLookup } from './mechanism.ts';

export class MemoryAccounts implements SaslAccountLookup {
  readonly lookups: Array<[string, ScramHash]> = [];
  private readonly creds = new Map<string, ScramCredential>();

  set(username: string, credential: ScramCredential): this {
    this.creds.set(`${username}\0${credential.hash}`, credential);
    return this;
  }

  async add(username: string, password: string, hashes: ScramHash[] = ['SHA-1', 'SHA-256']): Promise<this> {
    for (const hash of hashes) this.set(username, await deriveScramCredential(password, hash));
    return this;
  }

  async getCredential(username: string, hash: ScramHash): Promise<ScramCredential | null> {
    this.lookups.push([username, hash]);
    return this.creds.get(`${username}\0${hash}`) ?? null;
  }
}
