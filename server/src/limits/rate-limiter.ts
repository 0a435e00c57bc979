// A token bucket per key (XEP-0205 §3 rate limits): `perMinute` tokens, refilled continuously, so a
// key may spend a burst of `perMinute` at once and then `perMinute` a minute. Keys are bounded: when
// `maxKeys` are tracked, the full buckets (keys that did nothing for a minute) are forgotten first.

export interface RateLimiterOptions {
  perMinute: number;
  maxKeys?: number;
  /** Clock, injectable for tests (default Date.now). */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly perMinute: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: RateLimiterOptions) {
    this.perMinute = options.perMinute;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Spend one token for `key`; false when it has none left (the action is refused). */
  take(key: string): boolean {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket) {
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000);
      bucket.at = now;
    } else {
      if (this.buckets.size >= this.maxKeys) this.forgetIdle(now);
      bucket = { tokens: this.perMinute, at: now };
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private forgetIdle(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at >= 60_000) this.buckets.delete(key);
    }
    // Still full of active keys: drop the oldest (a flood of new keys cannot grow the map).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}
