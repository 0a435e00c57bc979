// The client side of SCRAM-SHA-256 (RFC 5802/7677), just enough for the load generator to log in.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const saltedCache = new Map<string, Buffer>();

export class ScramClient {
  private readonly nonce = randomBytes(18).toString('base64');
  private clientFirstBare = '';
  private serverSignature: Buffer | null = null;

  constructor(private readonly username: string, private readonly password: string) {}

  first(): string {
    this.clientFirstBare = `n=${this.username},r=${this.nonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`).toString('base64');
  }

  final(challengeBase64: string): string {
    const serverFirst = Buffer.from(challengeBase64, 'base64').toString();
    const fields = Object.fromEntries(serverFirst.split(',').map((part) => [part[0], part.slice(2)]));
    const { r: nonce, s: salt, i: iterations } = fields as Record<string, string>;
    if (!nonce?.startsWith(this.nonce)) throw new Error('server nonce does not extend ours');
    // Many bench sessions share one account: derive the salted password once.
    const cacheKey = `${this.password}:${salt}:${iterations}`;
    let salted = saltedCache.get(cacheKey);
    if (!salted) {
      salted = pbkdf2Sync(this.password, Buffer.from(salt!, 'base64'), Number(iterations), 32, 'sha256');
      saltedCache.set(cacheKey, salted);
    }
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64');
  }

  verify(successBase64: string): void {
    const text = Buffer.from(successBase64, 'base64').toString();
    const signature = Buffer.from(text.replace(/^v=/, ''), 'base64');
    if (!this.serverSignature || !timingSafeEqual(signature, this.serverSignature)) throw new Error('bad server signature');
  }
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}
