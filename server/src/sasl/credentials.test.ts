import { describe, expect, it } from 'vitest';
import { deriveAllCredentials, deriveScramCredential, verifyPassword } from './credentials.ts';
import { SaslError } from './errors.ts';
import { prepareUsername, saslPrep } from './saslprep.ts';

describe('saslPrep (RFC 4013)', () => {
  it.each([
    ['I\u00ADX', 'IX'], // soft hyphen mapped to nothing (§2.1, B.1)
    ['\u2168', 'IX'], // ROMAN NUMERAL NINE, NFKC (§2.2)
    ['user', 'user'],
    ['USER', 'USER'],
    ['\u00AA', 'a'],
    ['a\u00A0b', 'a b'], // non-ASCII space mapped to SPACE (§2.1, C.1.2)
    ['a\u3000b', 'a b'],
  ])('%j → %j', (input, expected) => {
    expect(saslPrep(input)).toBe(expected);
  });

  it.each([['\u0007'], ['a\u0000b'], ['\u0627\u0031']])('rejects %j with malformed-request', (input) => {
    expect(() => saslPrep(input)).toThrow(SaslError);
    try {
      saslPrep(input);
    } catch (err) {
      expect((err as SaslError).condition).toBe('malformed-request');
    }
  });

  it('prepareUsername lower-cases and rejects empty names', () => {
    expect(prepareUsername('Alice\u00AD')).toBe('alice');
    expect(() => prepareUsername('\u00AD')).toThrow(SaslError);
  });
});

describe('SCRAM credentials', () => {
  it('derives with a 16-byte random salt and 4096 iterations by default', async () => {
    const a = await deriveScramCredential('pencil', 'SHA-256');
    const b = await deriveScramCredential('pencil', 'SHA-256');
    expect(a.hash).toBe('SHA-256');
    expect(a.iterations).toBe(4096);
    expect(Buffer.from(a.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(a.storedKey, 'base64')).toHaveLength(32);
    expect(Buffer.from(a.serverKey, 'base64')).toHaveLength(32);
    expect(a.salt).not.toBe(b.salt);
    expect(a.storedKey).not.toBe(b.storedKey);
    expect(JSON.stringify(a)).not.toContain('pencil');
  });

  it('reproduces the RFC 5802 §5 verifiers', async () => {
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    const c = await deriveScramCredential('pencil', 'SHA-1', { salt, iterations: 4096 });
    expect(c.salt).toBe('QSXCR+Q6sek8bf92');
    expect(Buffer.from(c.storedKey, 'base64')).toHaveLength(20);
    const again = await deriveScramCredential('pencil', 'SHA-1', { salt, iterations: 4096 });
    expect(again).toEqual(c);
  });

  it('deriveAllCredentials returns SHA-1 and SHA-256', async () => {
    const all = await deriveAllCredentials('pw');
    expect(all.map((c) => c.hash).sort()).toEqual(['SHA-1', 'SHA-256']);
  });

  it('verifyPassword accepts the right password and rejects others', async () => {
    for (const c of await deriveAllCredentials('correct horse')) {
      expect(await verifyPassword('correct horse', c)).toBe(true);
      expect(await verifyPassword('correct horsf', c)).toBe(false);
      expect(await verifyPassword('', c)).toBe(false);
      expect(await verifyPassword('bad\u0007', c)).toBe(false);
    }
  });

  it('saslpreps passwords with non-ASCII spaces and compatibility characters', async () => {
    const c = await deriveScramCredential('IX', 'SHA-256');
    expect(await verifyPassword('I\u00ADX', c)).toBe(true);
    expect(await verifyPassword('\u2168', c)).toBe(true);
    const spaced = await deriveScramCredential('a\u00A0b', 'SHA-1');
    expect(await verifyPassword('a b', spaced)).toBe(true);
    expect(await verifyPassword('a\u2003b', spaced)).toBe(true);
  });

  it('rejects a password SASLprep prohibits', async () => {
    await expect(deriveScramCredential('a\u0007', 'SHA-256')).rejects.toMatchObject({ condition: 'malformed-request' });
  });
});
