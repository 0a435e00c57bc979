import { describe, expect, it } from 'vitest';
import { InvalidJidError, normalizeDomain, normalizeLocalpart, normalizeResource, parseJid, tryParseJid } from './jid.ts';
import { derivedProperty, opaqueString, usernameCaseMapped } from './precis.ts';

describe('RFC 7622 §3.5 examples', () => {
  it.each([
    ['juliet@example.com', 'juliet@example.com'],
    ['juliet@example.com/foo', 'juliet@example.com/foo'],
    ['juliet@example.com/foo bar', 'juliet@example.com/foo bar'],
    ['juliet@example.com/foo@bar', 'juliet@example.com/foo@bar'],
    ['foo\\20bar@example.com', 'foo\\20bar@example.com'],
    ['fussball@example.com', 'fussball@example.com'],
    ['fu\u00DFball@example.com', 'fu\u00DFball@example.com'],
    ['\u03C0@example.com', '\u03C0@example.com'],
    ['\u03A3@example.com/foo', '\u03C3@example.com/foo'],
    ['\u03C3@example.com/foo', '\u03C3@example.com/foo'],
    ['\u03C2@example.com/foo', '\u03C2@example.com/foo'],
    ['king@example.com/\u265A', 'king@example.com/\u265A'],
    ['example.com', 'example.com'],
    ['example.com/foobar', 'example.com/foobar'],
    ['a.example.com/b@example.net', 'a.example.com/b@example.net'],
  ])('%s is valid: %s', (input, canonical) => {
    expect(parseJid(input).full).toBe(canonical);
  });

  it.each([
    ['"juliet"@example.com', 'quotation marks are not allowed in a localpart'],
    ['foo bar@example.com', 'no space in a localpart'],
    ['juliet@example.com/', 'empty resourcepart'],
    ['@example.com/', 'empty localpart and resourcepart'],
    ['henry\u2163@example.com', 'ROMAN NUMERAL FOUR has a compatibility decomposition'],
    ['\u265A@example.com', 'BLACK CHESS KING is a symbol'],
    ['juliet@', 'empty domainpart'],
    ['/foobar', 'empty domainpart'],
  ])('%s is invalid (%s)', (input) => {
    expect(() => parseJid(input)).toThrow(InvalidJidError);
  });
});

describe('UsernameCaseMapped (RFC 8265 §3.3, examples of §3.5)', () => {
  it.each([
    ['juliet@example.com', 'juliet@example.com'], // '@' is in the IdentifierClass; RFC 7622 forbids it in JIDs
    ['fussball', 'fussball'],
    ['fu\u00DFball', 'fu\u00DFball'],
    ['\u03C0', '\u03C0'],
    ['\u03A3', '\u03C3'],
    ['\u03C3', '\u03C3'],
    ['\u03C2', '\u03C2'],
    ['I\u0307', 'i\u0307'],
    ['\u0049', 'i'],
    ['\u00E9', '\u00E9'],
    ['e\u0301', '\u00E9'], // NFC
    ['\uFF21\uFF2C\uFF29\uFF23\uFF25', 'alice'], // fullwidth, width-mapped
  ])('%s → %s', (input, enforced) => {
    expect(usernameCaseMapped(input)).toBe(enforced);
  });

  it.each([
    ['foo bar', 'space'],
    ['', 'empty'],
    ['henry\u2163', 'ROMAN NUMERAL FOUR'],
    ['\u265A', 'BLACK CHESS KING'],
    ['\u01C5', 'LATIN CAPITAL LETTER D WITH SMALL LETTER Z WITH CARON lowers to a letter with a compatibility form'],
  ])('%s is refused (%s)', (input) => {
    expect(() => usernameCaseMapped(input)).toThrow();
  });
});

describe('OpaqueString (RFC 8265 §4.2, examples of §4.3)', () => {
  it.each([
    ['correct horse battery staple', 'correct horse battery staple'],
    ['Correct Horse Battery Staple', 'Correct Horse Battery Staple'],
    ['\u03C0\u00DF\u00E5', '\u03C0\u00DF\u00E5'],
    ['Jack of \u2666s', 'Jack of \u2666s'],
    ['foo\u1680bar', 'foo bar'], // OGHAM SPACE MARK → SPACE
  ])('%s → %s', (input, enforced) => {
    expect(opaqueString(input)).toBe(enforced);
  });

  it.each([
    ['', 'empty'],
    ['my cat is a \u0009by', 'a control character (TAB)'],
  ])('%j is refused (%s)', (input) => {
    expect(() => opaqueString(input)).toThrow();
  });
});

describe('look-alikes the issue names are refused in every part', () => {
  const lookAlikes: Array<[string, string]> = [
    ['RIGHT-TO-LEFT OVERRIDE', '\u202E'],
    ['ZERO WIDTH SPACE', '\u200B'],
    ['ZERO WIDTH JOINER', '\u200D'],
    ['ZERO WIDTH NON-JOINER', '\u200C'],
    ['LEFT-TO-RIGHT MARK', '\u200E'],
    ['SOFT HYPHEN', '\u00AD'],
    ['TAG LATIN SMALL LETTER A', '\u{E0061}'],
    ['WORD JOINER', '\u2060'],
    ['BYTE ORDER MARK', '\uFEFF'],
  ];
  it.each(lookAlikes)('%s in a localpart and a resourcepart; in a domainpart refused or mapped away', (_name, ch) => {
    expect(() => normalizeLocalpart(`ali${ch}ce`)).toThrow(InvalidJidError);
    expect(() => normalizeResource(`ph${ch}one`)).toThrow(InvalidJidError);
    expect(tryParseJid(`ali${ch}ce@example.com/phone`)).toBeNull();
    // UTS 46 maps the default-ignorable ones to nothing: the name is then the real domain's, no look-alike.
    let domain: string | null;
    try {
      domain = normalizeDomain(`exa${ch}mple.com`);
    } catch {
      domain = null;
    }
    expect([null, 'example.com']).toContain(domain);
  });
});

describe('contextual rules (RFC 5892 Appendix A)', () => {
  it('ZWNJ and ZWJ after a virama are allowed (A.1, A.2)', () => {
    expect(normalizeLocalpart('\u0915\u094D\u200D\u0937')).toBe('\u0915\u094D\u200D\u0937'); // Devanagari क्‍ष
    expect(normalizeLocalpart('\u0915\u094D\u200C\u0937')).toBe('\u0915\u094D\u200C\u0937');
  });
  it('ZWNJ between joining Arabic letters is allowed, elsewhere not (A.1)', () => {
    expect(normalizeLocalpart('\u0628\u200C\u0628')).toBe('\u0628\u200C\u0628');
    expect(() => normalizeLocalpart('a\u200Cb')).toThrow(InvalidJidError);
  });
  it('MIDDLE DOT only between two l (A.3)', () => {
    expect(normalizeLocalpart('col\u00B7lega')).toBe('col\u00B7lega');
    expect(() => normalizeLocalpart('a\u00B7b')).toThrow(InvalidJidError);
  });
  it('KERAIA before Greek, GERESH after Hebrew, KATAKANA MIDDLE DOT with kana (A.4–A.7)', () => {
    expect(normalizeLocalpart('\u0375\u03B1')).toBe('\u0375\u03B1');
    expect(() => normalizeLocalpart('\u0375a')).toThrow(InvalidJidError);
    expect(normalizeLocalpart('\u05D0\u05F3')).toBe('\u05D0\u05F3');
    expect(() => normalizeLocalpart('a\u05F3')).toThrow(InvalidJidError);
    expect(normalizeLocalpart('\u30A2\u30FB\u30A4')).toBe('\u30A2\u30FB\u30A4');
    expect(() => normalizeLocalpart('a\u30FBb')).toThrow(InvalidJidError);
  });
  it('Arabic-Indic and extended Arabic-Indic digits do not mix (A.8, A.9)', () => {
    expect(normalizeLocalpart('\u0628\u0661\u0662')).toBe('\u0628\u0661\u0662');
    expect(() => normalizeLocalpart('\u0628\u0661\u06F2')).toThrow(InvalidJidError);
  });
});

describe('the Bidi Rule (RFC 5893 §2) in localparts', () => {
  it('accepts right-to-left and left-to-right names, refuses a mix that reorders on screen', () => {
    expect(normalizeLocalpart('\u05E9\u05DC\u05D5\u05DD')).toBe('\u05E9\u05DC\u05D5\u05DD'); // Hebrew
    expect(normalizeLocalpart('\u0633\u0644\u0627\u0645')).toBe('\u0633\u0644\u0627\u0645'); // Arabic
    expect(() => normalizeLocalpart('abc\u05D0')).toThrow(InvalidJidError); // LTR start, RTL inside (rule 5)
    expect(() => normalizeLocalpart('\u05D0abc')).toThrow(InvalidJidError); // RTL start, L inside (rule 2)
    expect(() => normalizeLocalpart('\u0627\u0661\u06F1')).toThrow(InvalidJidError); // EN and AN (rule 4)
  });
  it('does not apply to resourceparts (OpaqueString has no directionality rule)', () => {
    expect(normalizeResource('desk \u05D0')).toBe('desk \u05D0');
  });
});

describe('derived properties (RFC 8264 §8)', () => {
  it.each([
    ['a', 'PVALID'], ['~', 'PVALID'], [' ', 'FREE_PVAL'], ['\u00DF', 'PVALID'], ['\u0F0B', 'PVALID'],
    ['\u0640', 'DISALLOWED'], ['\u00B7', 'CONTEXTO'], ['\u200D', 'CONTEXTJ'], ['\u00AD', 'DISALLOWED'],
    ['\u1100', 'DISALLOWED'], ['\u0007', 'DISALLOWED'], ['\u2163', 'FREE_PVAL'], ['\u265A', 'FREE_PVAL'],
    ['\u01C5', 'FREE_PVAL'], ['\uE000', 'DISALLOWED'], ['\uFDD0', 'DISALLOWED'], ['\u{10FFFD}', 'DISALLOWED'],
    ['\u0378', 'UNASSIGNED'],
  ])('%j is %s', (ch, property) => {
    expect(derivedProperty(ch)).toBe(property);
  });
});

describe('domainparts (RFC 7622 §3.2: IDNA2008 via UTS 46, U-labels)', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['b\u00FCcher.example', 'b\u00FCcher.example'],
    ['xn--bcher-kva.example', 'b\u00FCcher.example'], // A-labels become U-labels (§3.2.1)
    ['B\u00DCCHER.example', 'b\u00FCcher.example'],
    ['fa\u00DF.de', 'fa\u00DF.de'], // nontransitional: ß stays
    ['\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\u3002com', 'example.com'], // fullwidth and ideographic full stop
    ['localhost', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '[::1]'],
  ])('%s → %s', (input, canonical) => {
    expect(normalizeDomain(input)).toBe(canonical);
  });

  it.each([
    ['', 'empty'],
    ['exa mple.com', 'space'],
    ['under_score.example', 'not LDH (STD3 rules)'],
    ['-lead.example', 'leading hyphen'],
    ['trail-.example', 'trailing hyphen'],
    ['ab--cd.example', 'hyphens in positions 3 and 4'],
    ['xn--zz.example', 'bad punycode'],
    ['a..b', 'empty label'],
    [`${'a'.repeat(64)}.example`, 'label over 63 octets'],
    ['\u05D0a.example', 'Bidi Rule'],
    ['exa@mple.com', "'@'"],
  ])('%j is refused (%s)', (input) => {
    expect(() => normalizeDomain(input)).toThrow(InvalidJidError);
  });
});

describe('the fast path and the full profiles agree', () => {
  it('for every printable ASCII character in each part', () => {
    for (let cp = 0x20; cp < 0x7f; cp++) {
      const ch = String.fromCharCode(cp);
      const viaProfile = (() => { try { return usernameCaseMapped(`a${ch}b`); } catch { return null; } })();
      const forbidden = `"&'/:<>@`.includes(ch);
      const fast = (() => { try { return normalizeLocalpart(`a${ch}b`); } catch { return null; } })();
      expect(fast, `localpart with ${JSON.stringify(ch)}`).toBe(forbidden ? null : viaProfile);
      expect(normalizeResource(`a${ch}b`), `resourcepart with ${JSON.stringify(ch)}`).toBe(opaqueString(`a${ch}b`));
    }
  });
  it('localparts over 1023 octets are refused', () => {
    expect(() => normalizeLocalpart('a'.repeat(1024))).toThrow(InvalidJidError);
    expect(() => normalizeLocalpart('\u00E9'.repeat(512))).toThrow(InvalidJidError);
    expect(normalizeLocalpart('\u00E9'.repeat(511))).toHaveLength(511);
  });
});
