// Structural comparison of a received stanza with an expected one written as XML, for the dialogue
// tests (dialogue.ts), in the spirit of Prosody's scansion: attribute order and whitespace do not
// matter, and the expected XML names only what matters.
//
//   - Every attribute of the expected element must be there with that value; others may be too.
//     In a value, {*} stands for anything, {name} captures what is there (the same name twice must
//     be the same text), {absent} says the attribute must not be there at all, and {?name} takes
//     either (capturing the value when there is one).
//   - Every expected child element must match a child of the received one, in order; other
//     children may come between and after. Expected text (trimmed) must be the received text,
//     with the same wildcards.
//   - Namespaces are compared as they apply (inherited from the parent; jabber:client for a stanza).
//   - exactly(xml): no other children or text anywhere, and no other attributes below the stanza
//     itself (whose own attributes — id, from, to — are routing, the server's to choose).
import { parse, type Element } from 'ltx';

export type Captures = Record<string, string>;

export interface Expectation {
  readonly element: Element;
  readonly text: string;
  /** Below the stanza, nothing more than what is written. */
  readonly exact: boolean;
}

const CLIENT = 'jabber:client';
const PLACEHOLDER = /\{(\*|[A-Za-z_][\w-]*)\}/g;
const OPTIONAL = /^\{\?([A-Za-z_][\w-]*)\}$/;

export function expectation(xml: string | Expectation): Expectation {
  if (typeof xml !== 'string') return xml;
  return { element: parse(xml) as Element, text: xml, exact: false };
}

/** The expected stanza compared exactly below its top level (see above). */
export function exactly(xml: string): Expectation {
  return { ...expectation(xml), exact: true };
}

/** Matches `expected` against `actual`; returns the captures, or null when it does not match. */
export function matchStanza(expected: Expectation, actual: Element, known: Captures = {}): Captures | null {
  const captures = { ...known };
  return matchElement(expected.element, actual, CLIENT, CLIENT, captures, expected.exact, true) ? captures : null;
}

function namespaceOf(element: Element, inherited: string): string {
  return element.attrs.xmlns ?? inherited;
}

function matchElement(expected: Element, actual: Element, expectedNs: string, actualNs: string, captures: Captures,
  exact: boolean, top: boolean): boolean {
  if (expected.name !== actual.name) return false;
  const ns = namespaceOf(expected, expectedNs);
  const actualOwn = namespaceOf(actual, actualNs);
  if (ns !== actualOwn) return false;
  // exactly(): the stanza's own attributes stay open; its content and everything below is exact
  const strict = exact && !top;
  const content = exact;
  for (const [name, value] of Object.entries(expected.attrs as Record<string, string>)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    const got = actual.attrs[name] as string | undefined;
    if (value === '{absent}') {
      if (got !== undefined) return false;
      continue;
    }
    const optional = OPTIONAL.exec(value);
    if (optional) {
      if (got === undefined) continue;
      if (!matchText(`{${optional[1]}}`, String(got), captures)) return false;
      continue;
    }
    if (got === undefined || !matchText(value, String(got), captures)) return false;
  }
  if (strict) {
    for (const name of Object.keys(actual.attrs)) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
      if (!(name in expected.attrs)) return false;
    }
  }
  const text = expected.getText().trim();
  if ((text !== '' || content) && !matchText(text, actual.getText().trim(), captures)) return false;
  return matchChildren(expected.getChildElements(), actual.getChildElements(), ns, actualOwn, captures, exact, content);
}

/** Each expected child matches a later actual child than the one before (backtracking over choices). */
function matchChildren(expected: Element[], actual: Element[], expectedNs: string, actualNs: string, captures: Captures,
  exact: boolean, strict: boolean): boolean {
  if (strict && expected.length !== actual.length) return false;
  const walk = (e: number, from: number): boolean => {
    if (e === expected.length) return true;
    const last = strict ? e : actual.length - (expected.length - e);
    for (let a = strict ? e : from; a <= last; a++) {
      const attempt = { ...captures };
      if (matchElement(expected[e]!, actual[a]!, expectedNs, actualNs, attempt, exact, false) && walk(e + 1, a + 1)) {
        Object.assign(captures, attempt);
        return true;
      }
      if (strict) return false;
    }
    return false;
  };
  return walk(0, 0);
}

/** A value with {*} and {name} placeholders against a received value; captures go into `captures`. */
function matchText(pattern: string, value: string, captures: Captures): boolean {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const match of pattern.matchAll(PLACEHOLDER)) {
    source += escapeRegExp(pattern.slice(last, match.index)) + '([\\s\\S]*?)';
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  source += escapeRegExp(pattern.slice(last));
  const found = new RegExp(`^${source}$`).exec(value);
  if (!found) return false;
  const next: Captures = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name === '*') continue;
    const text = found[i + 1]!;
    const before = captures[name] ?? next[name];
    if (before !== undefined && before !== text) return false;
    next[name] = text;
  }
  Object.assign(captures, next);
  return true;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
