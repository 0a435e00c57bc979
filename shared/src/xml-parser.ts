/**
 * Strict streaming XML parser for XMPP streams, building ltx Elements.
 *
 * - mode 'stream': one long-lived document (RFC 6120 §4.2): an optional XML
 *   declaration, the <stream:stream> root, top-level children, </stream:stream>.
 * - mode 'framed': RFC 7395 §3.3.3, every top-level element is a document.
 *
 * Only the XML subset allowed by RFC 6120 §11.1 is accepted (no comments, PIs,
 * DTDs or non-predefined entity references) and well-formedness (XML 1.0,
 * Namespaces in XML 1.0) is enforced as far as XMPP needs (RFC 6120 §11.3).
 *
 * The parser is a resumable state machine: input may be split anywhere, state
 * never requires re-scanning earlier input, and scanning uses indexOf/charCodeAt
 * with one slice per token piece.
 */
import { Element } from './xml.ts';
import { isNameStart, scanName, isSpace, INVALID_CHAR, TEXT_SPECIAL, ATTR_SPECIAL, PI_XML, XML_DECL, XmlError, notWellFormed, restricted, policy, decodeText, decodeAttribute, qnamePrefix } from './xml-syntax.ts';

import type { ParserErrorCondition } from './xml-syntax.ts';

export type { ParserErrorCondition };

export interface StreamParserHandler {
  /** Stream root opened (mode 'stream'): name as written (e.g. 'stream:stream'), attributes as written (including xmlns / xmlns:stream). */
  onStreamStart(name: string, attrs: Record<string, string>): void;
  /** A complete top-level element (a stanza or nonza, e.g. <message/>, <auth/>, <starttls/>). */
  onElement(element: Element): void;
  /** Stream root closed (mode 'stream'): </stream:stream>. */
  onStreamEnd(): void;
  /** Fatal error; after this, the parser ignores all further input until reset(). */
  onError(condition: ParserErrorCondition, text: string): void;
}

export interface StreamParserOptions {
  mode: 'stream' | 'framed';
  /** Max size in characters of one top-level element (including any partial token buffered). Default 262144. */
  maxElementSize?: number;
}

const DEFAULT_MAX_ELEMENT_SIZE = 262_144;
/** Limit for markup outside stanzas: the stream header, XML declaration, </stream:stream>. */
const MAX_HEADER_SIZE = 8192;
/** Max nesting of elements inside a top-level element (the top-level element is level 1). */
const MAX_DEPTH = 64;
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const CDATA_OPEN = '[CDATA[';

// Parser states.
const S_TEXT = 0; // character data, or whitespace between top-level elements
const S_LT = 1; // just after '<'
const S_START_NAME = 2; // in a start tag's name
const S_TAG = 3; // in a start tag, between attributes
const S_ATTR_NAME = 4;
const S_ATTR_EQ = 5; // after an attribute name, expecting '='
const S_ATTR_QUOTE = 6; // after '=', expecting a quote
const S_ATTR_VALUE = 7;
const S_SELF_CLOSE = 8; // after '/' in a start tag, expecting '>'
const S_END_NAME = 9; // in an end tag's name
const S_END_TAG = 10; // after an end tag's name, expecting '>'
const S_BANG = 11; // after '<!', matching '[CDATA['
const S_CDATA = 12;
const S_PI = 13; // after '<?' (only the XML declaration is accepted)

export class StreamParser {
  private readonly handler: StreamParserHandler;
  private readonly framed: boolean;
  private readonly maxElementSize: number;

  private state = S_TEXT;
  private failed = false;
  /** Absolute offset (characters since construction) of the current chunk's first character. */
  private base = 0;
  /** Absolute offset of the '<' of the current markup token. */
  private tokenStart = 0;
  /** Absolute offset of the '<' of the current top-level element, -1 between elements. */
  private elemStart = -1;

  // Stream root (mode 'stream').
  private rootName: string | null = null;
  private rootClosed = false;
  /** Prefixes declared on the root (created when the root declares one: most streams declare only 'stream'). */
  private rootPrefixes: Map<string, string> | null = null;
  private defaultNs: string | undefined;
  private declAllowed = true;

  /** Open elements; stack[0] is the current top-level element. */
  private stack: Element[] = [];
  /** Prefixes of the current top-level element bound only on the root. */
  private rootPrefixesUsed: string[] | null = null;

  // The token being parsed.
  private text = '';
  private textSlow = false;
  private name = '';
  private attrs: Record<string, string> = {};
  private attrPrefixed = false;
  private attrName = '';
  private attrValue = '';
  private attrSlow = false;
  private quote = '"';
  private sawSpace = false;
  private bang = 0;
  /** Content of a CDATA section or PI, and how many characters of a split terminator end it. */
  private buf = '';
  private tail = 0;

  /** Inside writeFrame(): the message's one element is held until the message is known to be whole. */
  private inFrame = false;
  private frameElement: Element | null = null;

  constructor(handler: StreamParserHandler, options: StreamParserOptions) {
    this.handler = handler;
    this.framed = options.mode === 'framed';
    this.maxElementSize = options.maxElementSize ?? DEFAULT_MAX_ELEMENT_SIZE;
  }

  /** Handler callbacks run synchronously inside write(); an exception they throw propagates out of it. */
  write(chunk: string): void {
    if (this.failed) return;
    try {
      this.parse(chunk);
      this.checkPartialSize(chunk.length);
    } catch (e) {
      if (!(e instanceof XmlError)) throw e;
      this.failed = true;
      this.handler.onError(e.condition, e.message);
    } finally {
      this.base += chunk.length;
    }
  }

  /**
   * One whole WebSocket message (RFC 7395 §3.3.3): a standalone document holding exactly one element
   * (a whitespace-only message is ignored). Two elements, or an element cut short at the end of the
   * message, are not-well-formed; nothing of a bad message reaches the handler.
   */
  writeFrame(message: string): void {
    if (this.failed) return;
    this.inFrame = true;
    this.frameElement = null;
    try {
      this.write(message);
    } finally {
      this.inFrame = false;
    }
    const element = this.frameElement;
    this.frameElement = null;
    if (this.failed) return;
    if (this.state !== S_TEXT || this.stack.length > 0) {
      this.failed = true;
      this.handler.onError('not-well-formed', 'a WebSocket message must hold one whole element');
      return;
    }
    if (element) this.handler.onElement(element);
  }

  /** Forgets everything (stream restart, RFC 6120 §4.3.3); may be called from a handler callback. */
  reset(): void {
    this.state = S_TEXT;
    this.failed = false;
    this.elemStart = -1;
    this.rootName = null;
    this.rootClosed = false;
    this.rootPrefixes = null;
    this.defaultNs = undefined;
    this.declAllowed = true;
    this.stack = [];
    this.rootPrefixesUsed = null;
    this.text = '';
    this.textSlow = false;
    this.buf = '';
  }

  private parse(data: string): void {
    const len = data.length;
    let pos = 0;
    while (pos < len) {
      switch (this.state) {
        case S_TEXT: pos = this.inText(data, pos); break;
        case S_LT: pos = this.afterLt(data, pos); break;
        case S_START_NAME: pos = this.inStartName(data, pos); break;
        case S_TAG: pos = this.inTag(data, pos); break;
        case S_ATTR_NAME: pos = this.inAttrName(data, pos); break;
        case S_ATTR_EQ: pos = this.expect(data, pos, 61 /* = */, S_ATTR_QUOTE, 'attribute without value'); break;
        case S_ATTR_QUOTE: pos = this.inAttrQuote(data, pos); break;
        case S_ATTR_VALUE: pos = this.inAttrValue(data, pos); break;
        case S_SELF_CLOSE: pos = this.inSelfClose(data, pos); break;
        case S_END_NAME: pos = this.inEndName(data, pos); break;
        case S_END_TAG: pos = this.expect(data, pos, 62 /* > */, S_TEXT, 'malformed end tag'); break;
        case S_BANG: pos = this.inBang(data, pos); break;
        case S_CDATA: pos = this.inCdata(data, pos); break;
        case S_PI: pos = this.inPi(data, pos); break;
      }
    }
  }

  /** Size limits for whatever is still unfinished at the end of a chunk (RFC 6120 §13.12 item 4). */
  private checkPartialSize(chunkLength: number): void {
    const end = this.base + chunkLength;
    if (this.elemStart >= 0) {
      if (end - this.elemStart > this.maxElementSize) throw policy('element exceeds the maximum size');
    } else if (this.state !== S_TEXT && end - this.tokenStart > MAX_HEADER_SIZE) {
      throw policy('stream header or markup outside stanzas is too large');
    }
  }

  // ---- Character data -------------------------------------------------------

  private inText(data: string, pos: number): number {
    const lt = data.indexOf('<', pos);
    const end = lt === -1 ? data.length : lt;
    if (end > pos) {
      if (this.stack.length === 0) {
        this.topLevelText(data, pos, end);
      } else {
        const piece = data.slice(pos, end);
        if (!this.textSlow && TEXT_SPECIAL.test(piece)) this.textSlow = true;
        this.text += piece;
      }
    }
    if (lt === -1) return end;
    if (this.text !== '') this.flushText();
    this.tokenStart = this.base + lt;
    this.state = S_LT;
    return lt + 1;
  }

  /** Only whitespace may appear between top-level elements (RFC 6120 §4.7.1 whitespace keepalives). */
  private topLevelText(data: string, pos: number, end: number): void {
    for (let i = pos; i < end; i++) {
      if (!isSpace(data.charCodeAt(i))) throw notWellFormed('text outside of a top-level element');
    }
  }

  private flushText(): void {
    const text = this.textSlow ? decodeText(this.text) : this.text;
    this.text = '';
    this.textSlow = false;
    if (text !== '') this.stack[this.stack.length - 1]!.children.push(text);
  }

  // ---- Markup dispatch --------------------------------------------------------

  private afterLt(data: string, pos: number): number {
    const c = data.charCodeAt(pos);
    if (this.rootClosed) throw notWellFormed('data after the end of the stream');
    if (c === 47 /* / */) {
      this.name = '';
      this.state = S_END_NAME;
      return pos + 1;
    }
    if (c === 33 /* ! */) {
      this.bang = 0;
      this.state = S_BANG;
      return pos + 1;
    }
    if (c === 63 /* ? */) {
      // RFC 6120 §11.1: no processing instructions; only the XML declaration at the start.
      if (!(this.framed ? this.stack.length === 0 : this.declAllowed)) throw restricted('processing instructions are not allowed');
      this.buf = '';
      this.tail = 0;
      this.state = S_PI;
      return pos + 1;
    }
    if (!isNameStart(c)) throw notWellFormed('invalid element name');
    if (this.stack.length === 0 && (this.framed || this.rootName !== null)) this.elemStart = this.tokenStart;
    this.name = '';
    this.attrs = {};
    this.attrPrefixed = false;
    this.state = S_START_NAME;
    return pos;
  }

  /** Skips whitespace, then requires `code`. */
  private expect(data: string, pos: number, code: number, next: number, message: string): number {
    for (; pos < data.length; pos++) {
      const c = data.charCodeAt(pos);
      if (isSpace(c)) continue;
      if (c !== code) throw notWellFormed(message);
      this.state = next;
      if (next === S_TEXT) this.closeElement(pos);
      return pos + 1;
    }
    return pos;
  }

  // ---- Start tags -------------------------------------------------------------

  private inStartName(data: string, pos: number): number {
    const end = scanName(data, pos);
    this.name += data.slice(pos, end);
    if (end < data.length) {
      this.sawSpace = false;
      this.state = S_TAG;
    }
    return end;
  }

  private inTag(data: string, pos: number): number {
    for (; pos < data.length; pos++) {
      const c = data.charCodeAt(pos);
      if (isSpace(c)) {
        this.sawSpace = true;
      } else if (c === 62 /* > */) {
        this.openElement(false, pos);
        return pos + 1;
      } else if (c === 47 /* / */) {
        this.state = S_SELF_CLOSE;
        return pos + 1;
      } else if (this.sawSpace && isNameStart(c)) {
        this.attrName = '';
        this.state = S_ATTR_NAME;
        return pos;
      } else {
        throw notWellFormed(c === 60 /* < */ ? "'<' in a tag" : 'malformed start tag');
      }
    }
    return pos;
  }

  private inSelfClose(data: string, pos: number): number {
    if (data.charCodeAt(pos) !== 62 /* > */) throw notWellFormed("'/' not followed by '>' in a start tag");
    this.openElement(true, pos);
    return pos + 1;
  }

  private inAttrName(data: string, pos: number): number {
    const end = scanName(data, pos);
    this.attrName += data.slice(pos, end);
    if (end === data.length) return end;
    // Fast path for the usual name='value' (no whitespace around '=').
    if (data.charCodeAt(end) === 61 /* = */ && end + 1 < data.length) {
      const q = data.charCodeAt(end + 1);
      if (q === 34 /* " */ || q === 39 /* ' */) return this.startValue(q, end + 2);
    }
    this.state = S_ATTR_EQ;
    return end;
  }

  private inAttrQuote(data: string, pos: number): number {
    for (; pos < data.length; pos++) {
      const c = data.charCodeAt(pos);
      if (isSpace(c)) continue;
      if (c !== 34 /* " */ && c !== 39 /* ' */) throw notWellFormed('attribute value without quotes');
      return this.startValue(c, pos + 1);
    }
    return pos;
  }

  private startValue(quote: number, pos: number): number {
    this.quote = quote === 34 ? '"' : "'";
    this.attrValue = '';
    this.attrSlow = false;
    this.state = S_ATTR_VALUE;
    return pos;
  }

  private inAttrValue(data: string, pos: number): number {
    const q = data.indexOf(this.quote, pos);
    const end = q === -1 ? data.length : q;
    if (end > pos) {
      const piece = data.slice(pos, end);
      if (ATTR_SPECIAL.test(piece)) {
        // XML 1.0 §3.1 AttValue: no '<'; checked per piece so errors show up early.
        if (piece.includes('<')) throw notWellFormed("'<' in an attribute value");
        if (INVALID_CHAR.test(piece)) throw notWellFormed('illegal character in an attribute value');
        this.attrSlow = true;
      }
      this.attrValue += piece;
    }
    if (q === -1) return end;
    this.addAttribute();
    this.sawSpace = false;
    this.state = S_TAG;
    return q + 1;
  }

  private addAttribute(): void {
    const name = this.attrName;
    const value = this.attrSlow ? decodeAttribute(this.attrValue) : this.attrValue;
    const attrs = this.attrs;
    // XML 1.0 §3.1 WFC: Unique Att Spec.
    if (Object.hasOwn(attrs, name)) throw notWellFormed(`duplicate attribute '${name}'`);
    if (name.includes(':')) {
      this.attrPrefixed = true;
      if (name.startsWith('xmlns:')) checkPrefixDeclaration(name.slice(6), value);
    }
    if (name === '__proto__') Object.defineProperty(attrs, name, { value, enumerable: true, writable: true, configurable: true });
    else attrs[name] = value;
  }

  private openElement(selfClosing: boolean, gtPos: number): void {
    const name = this.name;
    const attrs = this.attrs;
    this.state = S_TEXT;
    if (!this.framed && this.rootName === null) return this.openRoot(name, attrs, selfClosing, gtPos);

    const stack = this.stack;
    if (stack.length >= MAX_DEPTH) throw policy(`elements nested deeper than ${MAX_DEPTH} levels`);
    if (this.attrPrefixed || name.includes(':')) this.checkPrefixes(name, attrs);
    const el = new Element(name);
    el.attrs = attrs;
    if (stack.length === 0) {
      // Emitted elements are self-contained: carry the default namespace in scope.
      if (attrs.xmlns === undefined && this.defaultNs !== undefined) attrs.xmlns = this.defaultNs;
    } else {
      const parent = stack[stack.length - 1]!;
      el.parent = parent;
      parent.children.push(el);
    }
    if (!selfClosing) stack.push(el);
    else if (stack.length === 0) this.emit(el, gtPos);
  }

  private openRoot(name: string, attrs: Record<string, string>, selfClosing: boolean, gtPos: number): void {
    if (this.base + gtPos + 1 - this.tokenStart > MAX_HEADER_SIZE) throw policy('stream header is too large');
    if (this.attrPrefixed || name.includes(':')) this.checkPrefixes(name, attrs);
    for (const key in attrs) {
      if (key === 'xmlns') this.defaultNs = attrs[key] || undefined;
      else if (key.startsWith('xmlns:')) (this.rootPrefixes ??= new Map()).set(key.slice(6), attrs[key]!);
    }
    this.rootName = name;
    this.rootClosed = selfClosing;
    this.declAllowed = false;
    this.handler.onStreamStart(name, attrs);
    if (selfClosing) this.handler.onStreamEnd();
  }

  /** Namespaces in XML §5 (Namespace constraint: Prefix Declared). */
  private checkPrefixes(name: string, attrs: Record<string, string>): void {
    const colon = name.indexOf(':');
    if (colon !== -1) {
      const prefix = qnamePrefix(name, colon);
      if (prefix === 'xmlns') throw notWellFormed("elements must not have the prefix 'xmlns'");
      this.resolvePrefix(prefix, attrs);
    }
    if (!this.attrPrefixed) return;
    for (const key in attrs) {
      const c = key.indexOf(':');
      if (c === -1) continue;
      const prefix = qnamePrefix(key, c);
      if (prefix !== 'xmlns') this.resolvePrefix(prefix, attrs);
    }
  }

  private resolvePrefix(prefix: string, attrs: Record<string, string>): void {
    if (prefix === 'xml') return;
    const key = 'xmlns:' + prefix;
    if (attrs[key] !== undefined) return;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      if (this.stack[i]!.attrs[key] !== undefined) return;
    }
    if (this.rootName !== null && this.rootPrefixes?.has(prefix)) {
      const used = (this.rootPrefixesUsed ??= []);
      if (!used.includes(prefix)) used.push(prefix);
      return;
    }
    throw notWellFormed(`unbound namespace prefix '${prefix}'`);
  }

  // ---- End tags ---------------------------------------------------------------

  private inEndName(data: string, pos: number): number {
    // Fast path: the expected name, in one piece (saves a slice per end tag).
    const expected = this.name === '' ? (this.stack.at(-1)?.name ?? this.rootName) : null;
    if (expected && data.startsWith(expected, pos)) {
      const after = pos + expected.length;
      if (after < data.length && scanName(data, after) === after) {
        this.name = expected;
        this.state = S_END_TAG;
        return after;
      }
    }
    const end = scanName(data, pos);
    this.name += data.slice(pos, end);
    if (end < data.length) {
      if (this.name === '' || !isNameStart(this.name.charCodeAt(0))) throw notWellFormed('invalid end tag name');
      this.state = S_END_TAG;
    }
    return end;
  }

  /** XML 1.0 §3 WFC: Element Type Match. */
  private closeElement(gtPos: number): void {
    const name = this.name;
    const stack = this.stack;
    const el = stack.pop();
    if (el !== undefined) {
      if (el.name !== name) throw notWellFormed(`end tag </${name}> does not match <${el.name}>`);
      if (stack.length === 0) this.emit(el, gtPos);
    } else if (this.rootName !== null && !this.rootClosed && name === this.rootName) {
      this.rootClosed = true;
      this.handler.onStreamEnd();
    } else {
      throw notWellFormed(`end tag </${name}> without a matching start tag`);
    }
  }

  private emit(el: Element, gtPos: number): void {
    if (this.base + gtPos + 1 - this.elemStart > this.maxElementSize) throw policy('element exceeds the maximum size');
    const used = this.rootPrefixesUsed;
    if (used !== null) {
      for (const prefix of used) {
        const key = 'xmlns:' + prefix;
        if (el.attrs[key] === undefined) el.attrs[key] = this.rootPrefixes!.get(prefix);
      }
      this.rootPrefixesUsed = null;
    }
    this.elemStart = -1;
    if (this.inFrame) {
      if (this.frameElement) throw notWellFormed('a WebSocket message must hold only one element');
      this.frameElement = el;
      return;
    }
    this.handler.onElement(el);
  }

  // ---- <! and <? ----------------------------------------------------------------

  /** RFC 6120 §11.1: comments, DTDs and other markup declarations are restricted; only CDATA sections remain. */
  private inBang(data: string, pos: number): number {
    for (; pos < data.length && this.bang < CDATA_OPEN.length; pos++, this.bang++) {
      const c = data.charCodeAt(pos);
      if (c !== CDATA_OPEN.charCodeAt(this.bang)) {
        if (this.bang === 0 && c === 45 /* - */) throw restricted('comments are not allowed');
        if (this.bang === 0 && c === 68 /* D */) throw restricted('DOCTYPE is not allowed');
        throw restricted('markup declarations are not allowed');
      }
    }
    if (this.bang === CDATA_OPEN.length) {
      if (this.stack.length === 0 && (this.framed || this.rootName === null)) throw notWellFormed('CDATA outside of an element');
      this.buf = '';
      this.tail = 0;
      this.state = S_CDATA;
    }
    return pos;
  }

  private inCdata(data: string, pos: number): number {
    // A ']]>' split across chunks; `tail` counts the ']' ending buf (only non-empty when pos is 0).
    if (this.tail === 2 && data.charCodeAt(pos) === 62 /* > */) return this.endCdata(2, pos + 1);
    if (this.tail >= 1 && data.startsWith(']>', pos)) return this.endCdata(1, pos + 2);
    const found = data.indexOf(']]>', pos);
    const end = found === -1 ? data.length : found;
    if (end > pos) {
      this.buf += data.slice(pos, end);
      this.tail = trailingBrackets(data, pos, end, this.tail);
    }
    return found === -1 ? end : this.endCdata(0, found + 3);
  }

  private endCdata(trim: number, next: number): number {
    let content = trim > 0 ? this.buf.slice(0, -trim) : this.buf;
    this.buf = '';
    this.state = S_TEXT;
    if (INVALID_CHAR.test(content)) throw notWellFormed('illegal character in CDATA');
    if (content.includes('\r')) content = content.replace(/\r\n?/g, '\n');
    if (this.stack.length === 0) this.topLevelText(content, 0, content.length);
    else if (content !== '') this.stack[this.stack.length - 1]!.children.push(content);
    return next;
  }

  /** Only the XML declaration (XML 1.0 §2.8) is accepted; `tail` is 1 when buf ends with '?'. */
  private inPi(data: string, pos: number): number {
    if (this.tail === 1 && data.charCodeAt(pos) === 62 /* > */) return this.endPi(this.buf.slice(0, -1), pos + 1);
    const found = data.indexOf('?>', pos);
    const end = found === -1 ? data.length : found;
    if (end > pos) {
      this.buf += data.slice(pos, end);
      this.tail = data.charCodeAt(end - 1) === 63 /* ? */ ? 1 : 0;
      // Reject other PIs as soon as the target is known (tested once, when 4 characters are there).
      const length = this.buf.length;
      if (length >= 4 && length - (end - pos) < 4 && !PI_XML.test(this.buf)) throw restricted('processing instructions are not allowed');
    }
    return found === -1 ? end : this.endPi(this.buf, found + 2);
  }

  private endPi(decl: string, next: number): number {
    if (!PI_XML.test(decl)) throw restricted('processing instructions are not allowed');
    if (!XML_DECL.test(decl)) throw notWellFormed('malformed XML declaration');
    this.buf = '';
    this.declAllowed = false;
    this.state = S_TEXT;
    return next;
  }
}

/** Number of ']' ending buf after appending data[pos, end) to a buf that ended with `previous` of them (max 2). */
function trailingBrackets(data: string, pos: number, end: number, previous: number): number {
  let n = 0;
  while (n < 2 && end - n > pos && data.charCodeAt(end - n - 1) === 93 /* ] */) n++;
  return n === end - pos ? Math.min(2, n + previous) : n;
}

/** Namespaces in XML §3 (Reserved Prefixes and Namespace Names, No Prefix Undeclaring). */
function checkPrefixDeclaration(prefix: string, uri: string): void {
  if (uri === '') throw notWellFormed(`namespace prefix '${prefix}' declared with an empty name`);
  if (prefix === 'xmlns') throw notWellFormed("the prefix 'xmlns' must not be declared");
  if ((prefix === 'xml') !== (uri === XML_NS) || uri === XMLNS_NS) {
    throw notWellFormed(`invalid declaration of namespace prefix '${prefix}'`);
  }
}

/** One element from serialized XML (a stored or queued stanza), or null when it does not parse. */
export function parseStanza(text: string): Element | null {
  let parsed: Element | null = null;
  const parser = new StreamParser({
    onStreamStart: () => {}, onStreamEnd: () => {}, onError: () => {},
    onElement: (element) => { parsed = element; },
  }, { mode: 'framed', maxElementSize: Math.max(text.length * 2, 10_000) });
  parser.write(text);
  return parsed;
}
