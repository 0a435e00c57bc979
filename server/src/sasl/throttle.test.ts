import { describe, expect, it } from 'vitest';
import { AuthThrottle } from './throttle.ts';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('AuthThrottle', () => {
  it('locks a key out after maxFailures within the window, then expires', () => {
    const c = clock();
    const t = new AuthThrottle({ maxFailures: 3, windowMs: 10_000, lockoutMs: 30_000, now: c.now });
    t.recordFailure('ip:1.2.3.4');
    t.recordFailure('ip:1.2.3.4');
    expect(t.isBlocked('ip:1.2.3.4')).toBe(false);
    t.recordFailure('ip:1.2.3.4');
    expect(t.isBlocked('ip:1.2.3.4')).toBe(true);
    expect(t.isBlocked('ip:5.6.7.8')).toBe(false);
    c.t += 29_999;
    expect(t.isBlocked('ip:1.2.3.4')).toBe(true);
    c.t += 1;
    expect(t.isBlocked('ip:1.2.3.4')).toBe(false);
    // A fresh window after the lockout: one more failure is not enough.
    t.recordFailure('ip:1.2.3.4');
    expect(t.isBlocked('ip:1.2.3.4')).toBe(false);
  });

  it('uses defaults of 5 failures / 60 s window / 60 s lockout', () => {
    const c = clock();
    const t = new AuthThrottle({ now: c.now });
    for (let i = 0; i < 4; i++) t.recordFailure('user:alice@example.com');
    expect(t.isBlocked('user:alice@example.com')).toBe(false);
    t.recordFailure('user:alice@example.com');
    expect(t.isBlocked('user:alice@example.com')).toBe(true);
    c.t += 60_000;
    expect(t.isBlocked('user:alice@example.com')).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const c = clock();
    const t = new AuthThrottle({ maxFailures: 3, windowMs: 10_000, now: c.now });
    t.recordFailure('k');
    t.recordFailure('k');
    c.t += 10_000;
    t.recordFailure('k');
    t.recordFailure('k');
    expect(t.isBlocked('k')).toBe(false);
    t.recordFailure('k');
    expect(t.isBlocked('k')).toBe(true);
  });

  it('does not extend a lockout on further failures', () => {
    const c = clock();
    const t = new AuthThrottle({ maxFailures: 1, lockoutMs: 5_000, now: c.now });
    t.recordFailure('k');
    c.t += 4_000;
    t.recordFailure('k');
    c.t += 1_000;
    expect(t.isBlocked('k')).toBe(false);
  });

  it('recordSuccess clears the key', () => {
    const c = clock();
    const t = new AuthThrottle({ maxFailures: 2, now: c.now });
    t.recordFailure('k');
    t.recordSuccess('k');
    t.recordFailure('k');
    expect(t.isBlocked('k')).toBe(false);
    t.recordFailure('k');
    expect(t.isBlocked('k')).toBe(true);
    t.recordSuccess('k');
    expect(t.isBlocked('k')).toBe(false);
    expect(t.size).toBe(0);
  });

  it('prunes expired entries lazily', () => {
    const c = clock();
    const t = new AuthThrottle({ windowMs: 1_000, lockoutMs: 1_000, now: c.now });
    for (let i = 0; i < 100; i++) t.recordFailure(`ip:${i}`);
    expect(t.size).toBe(100);
    c.t += 1_000;
    t.recordFailure('ip:new');
    expect(t.size).toBe(1);
  });

  it('caps the number of tracked keys, dropping the least recently touched', () => {
    const c = clock();
    const t = new AuthThrottle({ maxFailures: 2, maxKeys: 3, now: c.now });
    t.recordFailure('a');
    t.recordFailure('b');
    t.recordFailure('c');
    t.recordFailure('a'); // touches 'a' → locked, most recent
    t.recordFailure('d'); // evicts 'b'
    expect(t.size).toBe(3);
    expect(t.isBlocked('a')).toBe(true);
    t.recordFailure('b'); // 'b' starts again from zero
    expect(t.isBlocked('b')).toBe(false);
  });
});
