// PRECIS (RFC 8264) and the two profiles JIDs use (RFC 7622 §3.3, §3.4): UsernameCaseMapped
// (RFC 8265 §3.3) for localparts and OpaqueString (RFC 8265 §4.2) for resourceparts.
//
// The derived property of a code point (RFC 8264 §8, categories of §9) comes from JavaScript's
// Unicode property escapes and String.prototype.normalize (the engine's Unicode version). Two
// inputs have no property escape: the Bidi classes of the Bidi Rule (RFC 5893 §2) and the joining
// types of the ZWNJ rule (RFC 5892 A.1). tr46, the UTS 46 implementation this package already uses
// for domainparts, generates both from the Unicode data and applies them to labels; its generated
// regexes are used here as they are (pinned version, tests in precis.test.ts).
import tr46Regexes from 'tr46/lib/regexes.js';

export class PrecisError extends Error {
  constructor(text: string) {
    super(text);
    this.name = 'PrecisError';
  }
}

type StringClass = 'identifier' | 'freeform';

/** RFC 5892 §2.6 Exceptions (F), referenced by RFC 8264 §9.6. */
const EXCEPTIONS = new Map<number, 'PVALID' | 'CONTEXTO' | 'DISALLOWED'>([
  ...[0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007].map((cp) => [cp, 'PVALID'] as const),
  ...[0x00b7, 0x0375, 0x05f3, 0x05f4, 0x30fb].map((cp) => [cp, 'CONTEXTO'] as const),
  ...range(0x0660, 0x0669).map((cp) => [cp, 'CONTEXTO'] as const),
  ...range(0x06f0, 0x06f9).map((cp) => [cp, 'CONTEXTO'] as const),
  ...[0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b].map((cp) => [cp, 'DISALLOWED'] as const),
]);

// RFC 8264 §9 categories, as property escapes.
const UNASSIGNED = /^\p{Cn}$/u; // §9.10, less the noncharacters (also Cn), which §9.13 disallows
const NONCHARACTER = /^\p{Noncharacter_Code_Point}$/u;
const JOIN_CONTROL = /^\p{Join_Control}$/u; // §9.8
/** §9.9 OldHangulJamo: Hangul_Syllable_Type L, V or T. */
const OLD_HANGUL_JAMO = /^[\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF]$/u;
const PRECIS_IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$/u; // §9.13
const CONTROLS = /^\p{Cc}$/u; // §9.12
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u; // §9.1
/** §9.18 OtherLetterDigits, §9.14 Spaces, §9.15 Symbols, §9.16 Punctuation: FreeformClass only. */
const FREEFORM_ONLY = /^[\p{Lt}\p{Nl}\p{No}\p{Me}\p{Zs}\p{Sm}\p{Sc}\p{Sk}\p{So}\p{P}]$/u;

type Property = 'PVALID' | 'FREE_PVAL' | 'CONTEXTJ' | 'CONTEXTO' | 'DISALLOWED' | 'UNASSIGNED';

/** RFC 8264 §8: the derived property of one code point ('FREE_PVAL' is ID_DIS in the IdentifierClass). */
export function derivedProperty(ch: string): Property {
  const cp = ch.codePointAt(0)!;
  const exception = EXCEPTIONS.get(cp);
  if (exception) return exception;
  if (UNASSIGNED.test(ch) && !NONCHARACTER.test(ch)) return 'UNASSIGNED';
  if (cp >= 0x21 && cp <= 0x7e) return 'PVALID'; // §9.11 ASCII7
  if (JOIN_CONTROL.test(ch)) return 'CONTEXTJ';
  if (OLD_HANGUL_JAMO.test(ch) || PRECIS_IGNORABLE.test(ch) || CONTROLS.test(ch)) return 'DISALLOWED';
  if (ch.normalize('NFKC') !== ch) return 'FREE_PVAL'; // §9.17 HasCompat
  if (LETTER_DIGITS.test(ch)) return 'PVALID';
  if (FREEFORM_ONLY.test(ch)) return 'FREE_PVAL';
  return 'DISALLOWED';
}

/** RFC 8264 §4.2 / §4.3: every code point valid in the class, contextual ones where their rule holds. */
function checkClass(value: string, stringClass: StringClass): void {
  const chars = Array.from(value);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const property = derivedProperty(ch);
    if (property === 'PVALID' || (property === 'FREE_PVAL' && stringClass === 'freeform')) continue;
    if (property === 'CONTEXTJ' && contextJ(chars, i)) continue;
    if (property === 'CONTEXTO' && contextO(chars, i)) continue;
    throw new PrecisError(`${describe(ch)} is not allowed${property === 'UNASSIGNED' ? ' (unassigned)' : ''}`);
  }
}

/** RFC 5892 Appendix A.1 (ZWNJ) and A.2 (ZWJ): after a virama, or ZWNJ between joining letters. */
function contextJ(chars: string[], i: number): boolean {
  if (i > 0 && tr46Regexes.combiningClassVirama.test(chars[i - 1]!)) return true;
  if (chars[i] !== '\u200C') return false;
  // (L|D) T* ZWNJ T* (R|D): the regex spans the characters around this ZWNJ up to the next ones.
  let start = i;
  while (start > 0 && chars[start - 1] !== '\u200C') start--;
  let end = i + 1;
  while (end < chars.length && chars[end] !== '\u200C') end++;
  return tr46Regexes.validZWNJ.test(chars.slice(start, end).join(''));
}

const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const HIRAGANA_KATAKANA_HAN = /^[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]$/u;

/** RFC 5892 Appendix A.3–A.9. */
function contextO(chars: string[], i: number): boolean {
  const cp = chars[i]!.codePointAt(0)!;
  const before = chars[i - 1];
  const after = chars[i + 1];
  switch (cp) {
    case 0x00b7: return before === 'l' && after === 'l'; // A.3 MIDDLE DOT, Catalan l·l
    case 0x0375: return after !== undefined && GREEK.test(after); // A.4 KERAIA
    case 0x05f3:
    case 0x05f4: return before !== undefined && HEBREW.test(before); // A.5, A.6 GERESH, GERSHAYIM
    case 0x30fb: return chars.some((ch) => ch !== '\u30FB' && HIRAGANA_KATAKANA_HAN.test(ch)); // A.7
    default:
      // A.8 / A.9: Arabic-Indic and extended Arabic-Indic digits are not mixed
      if (cp >= 0x0660 && cp <= 0x0669) return !chars.some((ch) => ch >= '\u06F0' && ch <= '\u06F9');
      return !chars.some((ch) => ch >= '\u0660' && ch <= '\u0669');
  }
}

/** RFC 5893 §2 Bidi Rule, for strings with right-to-left characters (RFC 8265 §3.3.1 rule 5). */
function checkBidiRule(value: string): void {
  if (!tr46Regexes.bidiDomain.test(value)) return;
  const first = String.fromCodePoint(value.codePointAt(0)!);
  let valid: boolean;
  if (tr46Regexes.bidiS1RTL.test(first)) {
    valid = tr46Regexes.bidiS2.test(value) && tr46Regexes.bidiS3.test(value) &&
      !(tr46Regexes.bidiS4EN.test(value) && tr46Regexes.bidiS4AN.test(value));
  } else {
    valid = tr46Regexes.bidiS1LTR.test(first) && tr46Regexes.bidiS5.test(value) && tr46Regexes.bidiS6.test(value);
  }
  if (!valid) throw new PrecisError('mixes left-to-right and right-to-left text against the Bidi Rule (RFC 5893)');
}

/** RFC 8265 §3.3.1 rule 1: fullwidth and halfwidth forms (East Asian Width F/H) map to their decompositions. */
const WIDE_OR_NARROW = /[\u3000\uFF01-\uFFEE]/gu;
/** RFC 8265 §4.2.1 rule 2: non-ASCII spaces become U+0020. */
const NON_ASCII_SPACE = /(?![ ])\p{Zs}/gu;

/** RFC 8265 §3.3.3 enforcement of UsernameCaseMapped; throws PrecisError. */
export function usernameCaseMapped(input: string): string {
  const mapped = input.replace(WIDE_OR_NARROW, (ch) => ch.normalize('NFKC')).toLowerCase().normalize('NFC');
  if (mapped === '') throw new PrecisError('empty');
  checkBidiRule(mapped);
  checkClass(mapped, 'identifier');
  return mapped;
}

/** RFC 8265 §4.2.3 enforcement of OpaqueString; throws PrecisError. */
export function opaqueString(input: string): string {
  const mapped = input.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
  if (mapped === '') throw new PrecisError('empty');
  checkClass(mapped, 'freeform');
  return mapped;
}

function describe(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** RFC 8266 §2.2 rule 1: non-ASCII spaces become U+0020; leading and trailing spaces go, runs of spaces become one. */
function nicknameSpaces(input: string): string {
  return input.replace(NON_ASCII_SPACE, ' ').replace(/ {2,}/g, ' ').replace(/^ | $/g, '');
}

/** RFC 8266 §2.3 enforcement of the Nickname profile (FreeformClass, NFKC); throws PrecisError. */
export function nickname(input: string): string {
  const mapped = nicknameSpaces(input).normalize('NFKC');
  if (mapped === '') throw new PrecisError('empty');
  checkClass(mapped, 'freeform');
  return mapped;
}

/** RFC 8266 §2.4 comparison: two nicknames are the same when these keys are equal (enforcement, then case folding). */
export function nicknameKey(input: string): string {
  return nickname(input).toLowerCase().normalize('NFKC');
}
