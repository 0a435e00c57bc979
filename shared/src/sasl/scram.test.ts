// SCRAM against the RFC test vectors (RFC 5802 §5, RFC 7677 §3).
import { describe, expect, it } from 'vitest';
import { scramMechanism, type SaltedPasswordCache } from './scram.ts';

describe('SCRAM', () => {
  it('SCRAM-SHA-1 matches RFC 5802', async () => {
    const scram = scramMechanism('SHA-1', 'user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
    expect(await scram.initial()).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const final = await scram.challenge('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    expect(final).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    await expect(scram.success('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).resolves.toBeUndefined();
  });

  it('SCRAM-SHA-256 matches RFC 7677', async () => {
    const scram = scramMechanism('SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    const final = await scram.challenge('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(final).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    await expect(scram.success('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).resolves.toBeUndefined();
  });

  it('refuses a server that does not prove it knows the password', async () => {
    const scram = scramMechanism('SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    await scram.challenge('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    await expect(scram.success('v=AAAA')).rejects.toThrow(/signature/);
  });

  it('refuses a nonce that does not extend ours, and absurd iteration counts', async () => {
    await expect(scramMechanism('SHA-1', 'user', 'p', 'abc').challenge('r=xyz123,s=QSXCR+Q6sek8bf92,i=4096')).rejects.toThrow(/nonce/);
    await expect(scramMechanism('SHA-1', 'user', 'p', 'abc').challenge('r=abc123,s=QSXCR+Q6sek8bf92,i=999999999')).rejects.toThrow(/iteration/);
  });

  it('escapes , and = in the username (RFC 5802 §5.1)', async () => {
    expect(await scramMechanism('SHA-1', 'a,b=c', 'p', 'n').initial()).toBe('n,,n=a=2Cb=3Dc,r=n');
  });
});

describe('SCRAM with a salted-password cache', () => {
  it('derives a password once per salt and iteration count, with the same answers', async () => {
    const cache: SaltedPasswordCache = new Map();
    const challenge = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';
    for (let i = 0; i < 2; i++) {
      const scram = scramMechanism('SHA-1', 'user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL', { saltedPasswords: cache });
      expect(await scram.challenge(challenge)).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
      await expect(scram.success('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).resolves.toBeUndefined();
    }
    expect(cache.size).toBe(1);
  });
});
