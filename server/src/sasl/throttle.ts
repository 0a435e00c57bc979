// Failed-authentication throttle (RFC 6120 §13.12 point 4 suggests limiting
// authentication attempts). Keys are caller-chosen, e.g. 'ip:1.2.3.4' or
// 'user:alice@example.com'.

export interface AuthThrottleOptions {
  /** Failures within one window that trigger a lockout (default 5). */
  maxFailures?: number;
  /** Length of the failure-counting window in ms (default 60 000). */
  windowMs?: number;
  /** How long a key stays blocked once locked out, in ms (default 60 000). */
  lockoutMs?: number;
  /** Upper bound on tracked keys; the least recently touched are dropped (default 100 000). */
  maxKeys?: number;
  /** Clock, injectable for tests (default Date.now). */
  now?: () => number;
}

interface Entry {
  windowStart: number;
  failures: number;
  /** 0 when not locked out. */
  lockedUntil: number;
}

export class AuthThrottle {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockoutMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** Insertion order doubles as recency order: touched entries are re-inserted at the end. */
  private readonly entries = new Map<string, Entry>();
  private lastPrune: number;

  constructor(options: AuthThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.lockoutMs = options.lockoutMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
    this.lastPrune = this.now();
  }

  /** true if this key (e.g. 'ip:1.2.3.4' or 'user:alice@example.com') is currently locked out */
  isBlocked(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.lockedUntil > this.now();
  }

  recordFailure(key: string): void {
    const now = this.now();
    this.maybePrune(now);
    let entry = this.entries.get(key);
    if (entry === undefined || now - entry.windowStart >= this.windowMs) {
      entry = { windowStart: now, failures: 0, lockedUntil: entry?.lockedUntil ?? 0 };
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    // Failures while already locked out do not extend the lockout.
    if (entry.lockedUntil > now) return;
    entry.failures += 1;
    if (entry.failures >= this.maxFailures) {
      entry.lockedUntil = now + this.lockoutMs;
      entry.failures = 0;
      entry.windowStart = now;
    }
    this.enforceCap();
  }

  /** Clears that key. */
  recordSuccess(key: string): void {
    this.entries.delete(key);
  }

  /** Number of tracked keys (for metrics and tests). */
  get size(): number {
    return this.entries.size;
  }

  private isExpired(entry: Entry, now: number): boolean {
    return entry.lockedUntil <= now && now - entry.windowStart >= this.windowMs;
  }

  /** Lazily drop expired entries, at most once per window. */
  private maybePrune(now: number): void {
    if (now - this.lastPrune < this.windowMs) return;
    this.lastPrune = now;
    for (const [key, entry] of this.entries) {
      if (this.isExpired(entry, now)) this.entries.delete(key);
    }
  }

  private enforceCap(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxKeys) break;
      this.entries.delete(key);
    }
  }
}
