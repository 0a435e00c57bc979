// Delegated password checks: the suite's core answers whether a password is right, over HTTP.
//
// Contract: POST <url> with JSON {"username": "<bare JID>", "password": "…"}; a 2xx answer means
// the password is right, 401/403 that it is wrong. Anything else — another status, a timeout, a
// refused connection — means the core cannot tell now: the login gets temporary-auth-failure
// (RFC 6120 §6.5.11), never a wrong "yes" or "no". Definite answers are cached briefly under an HMAC
// of (user, password) with a per-process key, so the password is never kept, only a keyed hash.
import { createHmac, randomBytes } from 'node:crypto';

export interface CoreAuthOptions {
  url: string;
  timeoutMs: number;
  cacheSeconds: number;
  /** Most cached answers; the oldest go first. */
  cacheSize: number;
}

export class CoreUnavailableError extends Error {
  override name = 'CoreUnavailableError';
}

interface CachedAnswer { valid: boolean; expires: number }

export class CoreAuthBackend {
  private readonly cacheKey = randomBytes(32);
  private readonly cache = new Map<string, CachedAnswer>();
  /** Identical checks in flight share one request. */
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(private readonly options: CoreAuthOptions) {}

  /** True when the core accepts the password; throws CoreUnavailableError when it cannot say. */
  check(username: string, password: string): Promise<boolean> {
    const key = createHmac('sha256', this.cacheKey).update(username).update('\0').update(password).digest('base64');
    const cached = this.cache.get(key);
    if (cached && cached.expires > Date.now()) return Promise.resolve(cached.valid);
    if (cached) this.cache.delete(key);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.ask(username, password).then((valid) => {
        this.remember(key, valid);
        return valid;
      }).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async ask(username: string, password: string): Promise<boolean> {
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username, password }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new CoreUnavailableError(timedOut ? `no answer within ${this.options.timeoutMs} ms` : `unreachable: ${(error as Error).message}`);
    }
    // the body is not needed; drain it so the connection can be reused
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return true;
    if (response.status === 401 || response.status === 403) return false;
    throw new CoreUnavailableError(`answered HTTP ${response.status}`);
  }

  private remember(key: string, valid: boolean): void {
    if (this.options.cacheSeconds <= 0) return;
    if (this.cache.size >= this.options.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, { valid, expires: Date.now() + this.options.cacheSeconds * 1000 });
  }
}
