// Test helper (not a test file): the client side of SCRAM (RFC 5802) with channel binding, written
// apart from the server's code (node:crypto only) so that tests check one against the other.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type TestScramHash = 'SHA-1' | 'SHA-256';

export interface ScramClientOptions {
  hash: TestScramHash;
  username: string;
  password: string;
  /** gs2-cbind-flag: 'n' (default), 'y', or 'p=<type>' with `bindingData`. */
  flag?: string;
  /** The channel binding data for 'p=' (what the client's TLS side computed). */
  bindingData?: Buffer;
  authzid?: string;
}

export class TestScramClient {
  private readonly nonce = randomBytes(18).toString('base64');
  private readonly gs2Header: string;
  private bare = '';
  private serverSignature: Buffer | null = null;

  constructor(private readonly options: ScramClientOptions) {
    const authz = options.authzid ? `a=${escape(options.authzid)}` : '';
    this.gs2Header = `${options.flag ?? 'n'},${authz},`;
  }

  /** client-first-message */
  first(): Buffer {
    this.bare = `n=${escape(this.options.username)},r=${this.nonce}`;
    return Buffer.from(this.gs2Header + this.bare);
  }

  /** client-final-message for a server-first-message. */
  final(serverFirstMessage: Buffer | string): Buffer {
    const serverFirst = serverFirstMessage.toString();
    const attrs = new Map(serverFirst.split(',').map((part) => [part[0]!, part.slice(2)] as const));
    const nonce = attrs.get('r')!;
    if (!nonce.startsWith(this.nonce)) throw new Error('server nonce does not extend ours');
    const algorithm = this.options.hash === 'SHA-1' ? 'sha1' : 'sha256';
    const length = this.options.hash === 'SHA-1' ? 20 : 32;
    const salted = pbkdf2Sync(this.options.password, Buffer.from(attrs.get('s')!, 'base64'), Number(attrs.get('i')), length, algorithm);
    const clientKey = createHmac(algorithm, salted).update('Client Key').digest();
    const storedKey = createHash(algorithm).update(clientKey).digest();
    const binding = Buffer.concat([Buffer.from(this.gs2Header), this.options.bindingData ?? Buffer.alloc(0)]);
    const withoutProof = `c=${binding.toString('base64')},r=${nonce}`;
    const authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const signature = createHmac(algorithm, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
    const serverKey = createHmac(algorithm, salted).update('Server Key').digest();
    this.serverSignature = createHmac(algorithm, serverKey).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Whether the server-final-message proves the server knew our verifier. */
  verify(serverFinal: Buffer | string | undefined): boolean {
    const text = serverFinal?.toString() ?? '';
    if (!text.startsWith('v=') || !this.serverSignature) return false;
    const signature = Buffer.from(text.slice(2), 'base64');
    return signature.length === this.serverSignature.length && timingSafeEqual(signature, this.serverSignature);
  }
}

function escape(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}
