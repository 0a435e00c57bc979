// SCRAM against the RFC test vectors (RFC 5802 §5, RFC 7677 §3), OAUTHBEARER framing, mechanism choice.
import { describe, expect, it } from 'vitest';
import { scramMechanism } from './scram.ts';
import { oauthBearerMechanism } from './oauthbearer.ts';
import { chooseMechanism } from './index.ts';
import { decodePayload, encodePayload } from './encoding.ts';
import { AuthenticationError } from '../errors.ts';

const account = { local: 'user', bare: 'user@example.com' };

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

describe('OAUTHBEARER', () => {
  it('sends the RFC 7628 §3.1 initial response', async () => {
    const mechanism = oauthBearerMechanism('user@example.com', 'tok.en');
    expect(await mechanism.initial()).toBe('n,a=user@example.com,\u0001auth=Bearer tok.en\u0001\u0001');
    expect(await mechanism.challenge('{"status":"invalid_token"}')).toBe('\u0001');
  });
});

describe('mechanism choice', () => {
  it('prefers SCRAM-SHA-256, and never sends PLAIN in the clear', () => {
    expect(chooseMechanism(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'], { password: 'p' }, account, false).name).toBe('SCRAM-SHA-256');
    expect(chooseMechanism(['PLAIN'], { password: 'p' }, account, true).name).toBe('PLAIN');
    expect(() => chooseMechanism(['PLAIN'], { password: 'p' }, account, false)).toThrow(AuthenticationError);
  });

  it('uses OAUTHBEARER for a token, with a clear error when the server lacks it', () => {
    expect(chooseMechanism(['SCRAM-SHA-1', 'OAUTHBEARER'], { token: 't' }, account, false).name).toBe('OAUTHBEARER');
    expect(() => chooseMechanism(['SCRAM-SHA-1'], { token: 't' }, account, true)).toThrow(/does not accept sign-in tokens/);
    expect(() => chooseMechanism(['SCRAM-SHA-1'], { token: 't' }, account, false)).toThrow(/encrypted \(HTTPS\)/);
  });

  it('encodes payloads as base64 with "=" for empty (RFC 6120 §6.4.2)', () => {
    expect(encodePayload('')).toBe('=');
    expect(decodePayload(encodePayload('héllo'))).toBe('héllo');
    expect(decodePayload('=')).toBe('');
  });
});
