import { describe, expect, it } from 'vitest';
import { LoginThrottle, addressKey, type LoginThrottleOptions } from './throttle.ts';

/** A throttle on a fake clock whose sleeps advance the clock and are recorded. */
function throttle(options: Partial<LoginThrottleOptions> = {}) {
  const clock = { t: 1_000_000 };
  const sleeps: number[] = [];
  const warnings: Array<{ details: object; message: string }> = [];
  const t = new LoginThrottle({
    addressFailures: 3, accountFailures: 5, baseDelayMs: 1000, maxDelayMs: 8000, windowMs: 60_000,
    now: () => clock.t,
    sleep: async (ms) => { sleeps.push(ms); },
    log: { warn: (details, message) => void warnings.push({ details, message }) },
    ...options,
  });
  /** One failed attempt, run to its end. */
  const fail = async (address: string, account: string) => {
    const verdict = await t.beforeAttempt(address, account);
    if (verdict.allowed) t.recordFailure(address, account);
    return verdict;
  };
  return { t, clock, sleeps, warnings, fail };
}

describe('LoginThrottle, per address', () => {
  it('lets the first failures through, then spaces attempts with a doubling delay up to the maximum', async () => {
    const { t, clock, sleeps, fail } = throttle();
    for (let i = 0; i < 3; i++) await fail('192.0.2.1', 'alice@example.com');
    expect(sleeps).toEqual([]);
    // each following attempt waits its slot: 1 s, then 2 s, 4 s, 8 s, 8 s after the one before
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = sleeps.length;
      expect((await t.beforeAttempt('192.0.2.1', 'alice@example.com')).allowed).toBe(true);
      t.recordFailure('192.0.2.1', 'alice@example.com');
      waits.push(sleeps.length > before ? sleeps.at(-1)! : 0);
      clock.t += waits.at(-1)!;
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('queues parallel attempts and refuses one that would wait longer than the maximum (that address only)', async () => {
    const { t, sleeps, warnings, fail } = throttle();
    for (let i = 0; i < 3; i++) await fail('192.0.2.1', 'alice@example.com');
    // attempts at once take the slots 1 s apart; the ninth would wait 9 s > 8 s
    const verdicts = [];
    for (let i = 0; i < 9; i++) verdicts.push(await t.beforeAttempt('192.0.2.1', 'alice@example.com'));
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, true, true, true, true, true, false]);
    expect(sleeps).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
    expect(warnings.some((w) => w.message.includes('refused') && JSON.stringify(w.details).includes('192.0.2.1'))).toBe(true);
    // the owner, elsewhere, is not refused nor queued
    expect(await t.beforeAttempt('198.51.100.7', 'alice@example.com')).toEqual({ allowed: true });
  });

  it('counts failures only: logins in flight and successful ones do not slow anyone, nor reset the count', async () => {
    const { t, sleeps, fail } = throttle();
    // a hundred users behind one NAT log in at once after a restart
    for (let i = 0; i < 100; i++) expect(await t.beforeAttempt('192.0.2.1', `user${i}@example.com`)).toEqual({ allowed: true });
    expect(sleeps).toEqual([]);
    await fail('192.0.2.1', 'alice@example.com');
    await fail('192.0.2.1', 'alice@example.com');
    // mallory's own account logs in between guesses: the count stays
    await t.beforeAttempt('192.0.2.1', 'mallory@example.com');
    await fail('192.0.2.1', 'alice@example.com');
    expect(sleeps).toEqual([]);
    await fail('192.0.2.1', 'alice@example.com');
    expect(sleeps).toEqual([1000]);
  });

  it('forgets failures a window after the last one', async () => {
    const { clock, sleeps, fail } = throttle();
    for (let i = 0; i < 4; i++) await fail('192.0.2.1', 'alice@example.com');
    clock.t += 60_000 + 10_000;
    await fail('192.0.2.1', 'alice@example.com');
    expect(sleeps.length).toBe(1); // the one delayed attempt before the window ran out
  });

  it('counts IPv6 clients by /64 and IPv4-mapped clients as IPv4', () => {
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
  });

  it('one /64 is one address for the throttle', async () => {
    const { t, fail } = throttle();
    for (let i = 0; i < 3; i++) await fail(`2001:db8:1:2::${i + 1}`, 'alice@example.com');
    for (let i = 0; i < 8; i++) await t.beforeAttempt(`2001:db8:1:2::${i + 10}`, 'alice@example.com');
    expect((await t.beforeAttempt('2001:db8:1:2::ff', 'alice@example.com')).allowed).toBe(false);
    expect((await t.beforeAttempt('2001:db8:1:3::1', 'alice@example.com')).allowed).toBe(true);
  });
});

describe('LoginThrottle, per account', () => {
  it('past the ceiling every attempt for the account is delayed, from any address, and never refused', async () => {
    const { t, sleeps, warnings, fail } = throttle();
    // five attackers, one failure each: no address is throttled, the account reaches its ceiling
    for (let i = 1; i <= 5; i++) await fail(`203.0.113.${i}`, 'alice@example.com');
    expect(sleeps).toEqual([]);
    // more guesses from new addresses: each is answered later, none is refused
    for (let i = 0; i < 20; i++) expect((await fail(`198.51.100.${i}`, 'alice@example.com')).allowed).toBe(true);
    expect(sleeps[0]).toBe(1000);
    expect(Math.max(...sleeps)).toBe(8000);
    expect(warnings[0]!.details).toMatchObject({ account: 'alice@example.com', address: '198.51.100.0' });
    // the owner too is answered after the delay, and let in
    const delayed = sleeps.length;
    expect(await t.beforeAttempt('198.51.100.200', 'alice@example.com')).toEqual({ allowed: true });
    expect(sleeps.length).toBe(delayed + 1);
    // bob is not slowed by alice's attackers
    const before = sleeps.length;
    await t.beforeAttempt('198.51.100.50', 'bob@example.com');
    expect(sleeps.length).toBe(before);
  });

  it('bounds the tracked keys', async () => {
    const { t, fail } = throttle({ maxKeys: 10 });
    for (let i = 0; i < 50; i++) await fail(`192.0.2.${i}`, `user${i}@example.com`);
    expect(t.size).toBeLessThanOrEqual(10);
  });
});
