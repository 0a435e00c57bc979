// RFC 8266 Nickname profile: enforcement (spaces, NFKC, FreeformClass) and comparison.
import { describe, expect, it } from 'vitest';
import { nickname, nicknameKey, PrecisError } from './precis.ts';

describe('RFC 8266 nicknames', () => {
  it('maps spaces (§2.2 rule 1): non-ASCII spaces to U+0020, trimmed, runs collapsed', () => {
    expect(nickname('  Alice\u00A0\u2003 Smith ')).toBe('Alice Smith');
  });

  it('normalizes with NFKC (§2.2 rule 3): fullwidth letters and ligatures', () => {
    expect(nickname('\uFF21lice')).toBe('Alice');
    expect(nickname('\uFB01ne')).toBe('fine');
  });

  it('keeps case but compares without it (§2.4)', () => {
    expect(nickname('ALICE')).toBe('ALICE');
    expect(nicknameKey('ALICE')).toBe(nicknameKey('alice'));
    expect(nicknameKey('Σίσυφος')).toBe(nicknameKey('ΣΊΣΥΦΟΣ'.toLowerCase()));
  });

  it('allows symbols and punctuation (FreeformClass), refuses controls and empty results', () => {
    expect(nickname('♚ King!')).toBe('♚ King!');
    expect(() => nickname('   ')).toThrow(PrecisError);
    expect(() => nickname('bad\u0007')).toThrow(PrecisError);
    expect(() => nickname('zero\u200Bwidth')).toThrow(PrecisError);
  });
});
