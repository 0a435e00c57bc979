// Failed-login throttling (RFC 6120 §13.12 point 4) that an attacker cannot turn against a user.
//
// - Per source address (a /64 for IPv6, where one host holds a whole prefix): after
//   `addressFailures` failures, attempts from that address are spaced out, the spacing doubling
//   with each further failure up to `maxDelayMs`. Attempts are queued, so parallel connections do
//   not share a slot; an attempt that would wait longer than `maxDelayMs` is refused at once (the
//   address, and only it, is locked out until its queue drains).
// - Per account, from all addresses: past `accountFailures` failures every attempt for the
//   account is answered after a delay (growing, at most `maxDelayMs`). That slows guessing spread
//   over many addresses, and never locks the owner out: a delayed answer is still an answer.
// Only wrong guesses count, never attempts in flight: many users behind one NAT reconnecting at
// once (after a restart) are not slowed. A successful login does not reset its address's count,
// so an attacker with an account of its own cannot clear it. Failures are forgotten `windowMs`
// after the last one. Every throttled or refused attempt is logged with the account and the address: at warn
// the first time per address or account and 10 s, at info after that.

export interface LoginThrottleOptions {
  addressFailures: number;
  accountFailures: number;
  /** The first delay; each further failure doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  /** Upper bound on tracked addresses and accounts; the least recently touched are dropped (default 100 000). */
  maxKeys?: number;
  /** Throttles and refusals: the first of a kind per key and interval at warn, the others at info. */
  log?: { warn(details: object, message: string): void; info?(details: object, message: string): void };
  /** Clock, injectable for tests (default Date.now). */
  now?: () => number;
  /** How a delay is waited for, injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export type AttemptVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Entry {
  failures: number;
  lastFailure: number;
  /** When the latest attempt from this address was let through (addresses only): the next waits its spacing after it. */
  lastSlot: number;
  /** When each kind of warning was last logged for this key. */
  warnedAt: Partial<Record<string, number>>;
}

/** One warn line per address or account per this interval, however hard it is hammered. */
const WARN_INTERVAL_MS = 10_000;

export class LoginThrottle {
  private readonly options: Required<Omit<LoginThrottleOptions, 'log'>> & Pick<LoginThrottleOptions, 'log'>;
  /** Insertion order doubles as recency order: touched entries are re-inserted at the end. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: LoginThrottleOptions) {
    this.options = {
      maxKeys: 100_000,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
      ...options,
    };
  }

  /**
   * An attempt from `address` for `account` (as soon as the mechanism names it): resolves when it may
   * go on — at once, after its place in the address's queue, or after the account-wide delay — or
   * refuses it when the address's queue is longer than the longest delay.
   */
  async beforeAttempt(address: string, account: string): Promise<AttemptVerdict> {
    const key = addressKey(address);
    const now = this.options.now();
    const byAddress = this.current(`address ${key}`, now);
    let wait = 0;
    if (byAddress) {
      const spacing = this.delayFor(byAddress.failures, this.options.addressFailures);
      if (spacing > 0) {
        const slot = Math.max(now, byAddress.lastSlot + spacing);
        wait = slot - now;
        if (wait > this.options.maxDelayMs) {
          this.warn(byAddress, now, { account, address: key, failures: byAddress.failures, retryAfterMs: wait },
            'login refused: too many failed logins from this address');
          return { allowed: false, retryAfterMs: wait };
        }
        byAddress.lastSlot = slot;
        this.warn(byAddress, now, { account, address: key, failures: byAddress.failures, delayMs: wait },
          'login delayed: too many failed logins from this address');
      }
    }
    const byAccount = this.current(`account ${account}`, now);
    const accountDelay = byAccount ? this.delayFor(byAccount.failures, this.options.accountFailures) : 0;
    if (byAccount && accountDelay > 0) {
      this.warn(byAccount, now, { account, address: key, failures: byAccount.failures, delayMs: accountDelay },
        'login delayed: too many failed logins for this account');
    }
    const delay = Math.max(wait, accountDelay);
    if (delay > 0) await this.options.sleep(delay);
    return { allowed: true };
  }

  /** An attempt ended with a wrong password or name (not a refusal for another reason: no IM role, core down). */
  recordFailure(address: string, account: string): void {
    const now = this.options.now();
    this.count(`address ${addressKey(address)}`, now);
    this.count(`account ${account}`, now);
  }

  /** Number of tracked addresses and accounts (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** 0 below the threshold; then baseDelayMs, doubling per failure, at most maxDelayMs. */
  private delayFor(failures: number, threshold: number): number {
    if (failures < threshold) return 0;
    const doublings = Math.min(failures - threshold, 30);
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** doublings);
  }

  /** The entry if its failures still count. */
  private current(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.lastFailure >= this.options.windowMs && entry.lastSlot <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private count(key: string, now: number): void {
    const entry = this.current(key, now) ?? { failures: 0, lastFailure: now, lastSlot: now, warnedAt: {} };
    entry.failures += 1;
    entry.lastFailure = now;
    entry.lastSlot = Math.max(entry.lastSlot, now);
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.options.maxKeys) break;
      this.entries.delete(oldest);
    }
  }

  /** Every throttled attempt is logged; at warn once per key and interval (an attack must not flood the warnings), else at info. */
  private warn(entry: Entry, now: number, details: object, message: string): void {
    if (now - (entry.warnedAt[message] ?? -Infinity) < WARN_INTERVAL_MS) return this.options.log?.info?.(details, message);
    entry.warnedAt[message] = now;
    this.options.log?.warn(details, message);
  }
}

/**
 * The address failures are counted for: IPv4 as it is (also when IPv4-mapped), IPv6 by its /64
 * (RFC 6177: an end site usually gets at least a /64, so one attacker holds them all).
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::') as [string, string?];
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((group) => (Number.parseInt(group || '0', 16) || 0).toString(16)).join(':')}::/64`;
}
