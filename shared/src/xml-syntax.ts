// XML 1.0 syntax pieces the stream parser needs: name and character classes, references,
// the slow paths for text and attribute values, and the parser's error type.

/** The stream error a parser failure ends the stream with (RFC 6120 §4.9.3). */
export type ParserErrorCondition = 'not-well-formed' | 'restricted-xml' | 'policy-violation' | 'invalid-namespace' | 'bad-format';

/** Longest reference accepted between '&' and ';' (allows leading zeros in char refs). */
const MAX_REF_LENGTH = 32;

// XML 1.0 §2.3 names. ASCII via table; any non-ASCII character is accepted.
const NAME_START = 1;
const NAME_CHAR = 2;
const NAME_TABLE = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) NAME_TABLE[c] = NAME_START | NAME_CHAR;
  else if (/[0-9.-]/.test(ch)) NAME_TABLE[c] = NAME_CHAR;
}

export function isNameStart(c: number): boolean {
  return c < 128 ? (NAME_TABLE[c]! & NAME_START) !== 0 : c !== 0xfffe && c !== 0xffff;
}

/** Index of the first non-name character at or after pos. */
export function scanName(s: string, pos: number): number {
  const len = s.length;
  while (pos < len) {
    const c = s.charCodeAt(pos);
    if (c < 128 ? NAME_TABLE[c] === 0 : c === 0xfffe || c === 0xffff) break;
    pos++;
  }
  return pos;
}

function isName(s: string): boolean {
  return s.length > 0 && isNameStart(s.charCodeAt(0)) && scanName(s, 1) === s.length;
}

/** XML 1.0 §2.3: S ::= (#x20 | #x9 | #xD | #xA)+ */
export function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/** XML 1.0 §2.2 Char production (for character references). */
function isXmlChar(cp: number): boolean {
  return cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Characters that are not XML 1.0 Chars (§2.2). Lone surrogates cannot come out of a UTF-8 decoder. */
export const INVALID_CHAR = /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
/** Text needing the slow path: references, ']]>' candidates, CR (§2.11) or invalid characters. */
export const TEXT_SPECIAL = /[&\]\r\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
/** Attribute values needing the slow path: references, '<', whitespace to normalize (§3.3.3), invalid chars. */
export const ATTR_SPECIAL = /[&<\t\n\r\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
/** The target of the XML declaration; any other PI target is restricted. */
export const PI_XML = /^xml[ \t\r\n]/;
/** XML 1.0 §2.8 XMLDecl, without the '<?' and '?>'. */
export const XML_DECL =
  /^xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]+\1([ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?([ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(yes|no)\5)?[ \t\r\n]*$/;

export class XmlError extends Error {
  readonly condition: ParserErrorCondition;
  constructor(condition: ParserErrorCondition, message: string) {
    super(message);
    this.condition = condition;
  }
}

export const notWellFormed = (msg: string) => new XmlError('not-well-formed', msg);
export const restricted = (msg: string) => new XmlError('restricted-xml', msg);
export const policy = (msg: string) => new XmlError('policy-violation', msg);

/** Decodes one reference body (between '&' and ';'): XML 1.0 §4.1, §4.6; RFC 6120 §11.1. */
function decodeReference(ref: string): string {
  switch (ref) {
    case 'amp': return '&';
    case 'lt': return '<';
    case 'gt': return '>';
    case 'quot': return '"';
    case 'apos': return "'";
  }
  if (ref.charCodeAt(0) === 35 /* # */) {
    const hex = ref.charCodeAt(1) === 120; /* x */
    const digits = ref.slice(hex ? 2 : 1);
    if (!(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) throw notWellFormed(`malformed character reference &${ref};`);
    const cp = parseInt(digits, hex ? 16 : 10);
    if (!isXmlChar(cp)) throw notWellFormed(`character reference &${ref}; is not an XML character`);
    return String.fromCodePoint(cp);
  }
  if (isName(ref)) throw restricted(`entity reference &${ref}; is not allowed`);
  throw notWellFormed('malformed entity reference');
}

function unescapeXml(s: string): string {
  let out = '';
  let last = 0;
  for (let amp = s.indexOf('&'); amp !== -1; amp = s.indexOf('&', last)) {
    const semi = s.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp - 1 > MAX_REF_LENGTH) throw notWellFormed("'&' does not start a valid reference");
    out += s.slice(last, amp) + decodeReference(s.slice(amp + 1, semi));
    last = semi + 1;
  }
  return out + s.slice(last);
}

/** Slow path for character data: XML 1.0 §2.2 chars, §2.4 (no ']]>'), §2.11 line ends, references. */
export function decodeText(raw: string): string {
  if (INVALID_CHAR.test(raw)) throw notWellFormed('illegal character in text');
  if (raw.includes(']]>')) throw notWellFormed("']]>' is not allowed in text");
  const s = raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
  return s.includes('&') ? unescapeXml(s) : s;
}

/** Slow path for attribute values ('<' and invalid chars were rejected piecewise): XML 1.0 §3.3.3. */
export function decodeAttribute(raw: string): string {
  return unescapeXml(raw.replace(/\r\n|[\t\n\r]/g, ' '));
}

/** Validates a QName with a colon (Namespaces in XML §4) and returns its prefix. */
export function qnamePrefix(name: string, colon: number): string {
  if (colon === 0 || colon === name.length - 1 || name.indexOf(':', colon + 1) !== -1 ||
      !isNameStart(name.charCodeAt(colon + 1))) {
    throw notWellFormed(`'${name}' is not a valid qualified name`);
  }
  return name.slice(0, colon);
}
