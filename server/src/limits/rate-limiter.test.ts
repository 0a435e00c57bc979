import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter', () => {
  it('allows a burst of perMinute, then one more per 60/perMinute seconds', () => {
    const clock = { t: 0 };
    const limiter = new RateLimiter({ perMinute: 3, now: () => clock.t });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([true, true, true, false]);
    expect(limiter.take('b')).toBe(true); // per key
    clock.t += 19_999;
    expect(limiter.take('a')).toBe(false);
    clock.t += 1;
    expect(limiter.take('a')).toBe(true);
    clock.t += 10 * 60_000;
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([true, true, true, false]);
  });

  it('tracks at most maxKeys keys, forgetting idle ones first', () => {
    const clock = { t: 0 };
    const limiter = new RateLimiter({ perMinute: 1, maxKeys: 2, now: () => clock.t });
    limiter.take('old');
    clock.t += 60_000;
    limiter.take('busy');
    limiter.take('new');
    expect(limiter.size).toBe(2);
    expect(limiter.take('busy')).toBe(false); // still limited: 'old' was the one forgotten
  });
});
