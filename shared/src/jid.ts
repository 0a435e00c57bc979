// JIDs, RFC 7622: localpart@domainpart/resourcepart, compared in enforced (canonical) form.
//
// localpart: PRECIS UsernameCaseMapped (§3.3, RFC 8265 §3.3) less " & ' / : < > @;
// domainpart: IDNA2008 through UTS 46 (tr46), as U-labels in lower case (§3.2), or an IP literal;
// resourcepart: PRECIS OpaqueString (§3.4, RFC 8265 §4.2). Each part is at most 1023 octets (§3.1).
//
// JIDs are parsed for every stanza: ASCII parts take a fast path that gives the same answer as the
// full profiles, and non-ASCII results are cached.
import { toASCII, toUnicode } from 'tr46';
import { opaqueString, PrecisError, usernameCaseMapped } from './precis.ts';

const MAX_PART_OCTETS = 1023;
/** ASCII a localpart may hold: the printable range (RFC 8264 ASCII7) less RFC 7622 §3.3.1's eight. */
const ASCII_LOCALPART = /^[!#-%(-.0-9;=?A-~]+$/;
/** RFC 7622 §3.3.1: disallowed in a localpart although the IdentifierClass allows them. */
const FORBIDDEN_IN_LOCALPART = /["&'/:<>@]/;
/** Printable ASCII and space: valid OpaqueString as it is. */
const ASCII_RESOURCE = /^[\x20-\x7E]+$/;
/** An LDH domain in lower case (each label is checked for hyphens and length below). */
const ASCII_DOMAIN = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;
const IP_LITERAL = /^\[[0-9a-f:.]+\]$/;
const UPPER = /[A-Z]/;

export class InvalidJidError extends Error {
  constructor(text: string) {
    super(text);
    this.name = 'InvalidJidError';
  }
}

export class JID {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
  /** localpart@domain (or domain) */
  readonly bare: string;
  /** the full form, with /resource when there is one */
  readonly full: string;

  constructor(local: string, domain: string, resource = '') {
    this.local = local;
    this.domain = domain;
    this.resource = resource;
    this.bare = local ? `${local}@${domain}` : domain;
    this.full = resource ? `${this.bare}/${resource}` : this.bare;
  }

  get isBare(): boolean {
    return this.resource === '';
  }

  toBare(): JID {
    return this.resource ? new JID(this.local, this.domain) : this;
  }

  withResource(resource: string): JID {
    return new JID(this.local, this.domain, normalizeResource(resource));
  }

  equals(other: JID): boolean {
    return this.full === other.full;
  }

  toString(): string {
    return this.full;
  }
}

/** Parse and enforce a JID (RFC 7622 §3.1: first '/', then the first '@' before it); throws InvalidJidError (→ jid-malformed). */
export function parseJid(input: string): JID {
  const slash = input.indexOf('/');
  const head = slash === -1 ? input : input.slice(0, slash);
  const resource = slash === -1 ? '' : input.slice(slash + 1);
  if (slash !== -1 && resource === '') throw new InvalidJidError('empty resourcepart');
  const at = head.indexOf('@');
  const local = at === -1 ? '' : head.slice(0, at);
  if (at !== -1 && local === '') throw new InvalidJidError('empty localpart');
  const domain = at === -1 ? head : head.slice(at + 1);
  return new JID(
    at === -1 ? '' : normalizeLocalpart(local),
    normalizeDomain(domain),
    resource ? normalizeResource(resource) : '',
  );
}

/** parseJid that returns null instead of throwing. */
export function tryParseJid(input: string | undefined | null): JID | null {
  if (input == null) return null;
  try {
    return parseJid(input);
  } catch {
    return null;
  }
}

/** RFC 7622 §3.3: a localpart in its enforced form; throws InvalidJidError. */
export function normalizeLocalpart(local: string): string {
  if (ASCII_LOCALPART.test(local)) {
    checkLength(local, 'localpart');
    return UPPER.test(local) ? local.toLowerCase() : local;
  }
  return cached(localparts, local, () => {
    const enforced = precis(usernameCaseMapped, local, 'localpart');
    if (FORBIDDEN_IN_LOCALPART.test(enforced)) throw new InvalidJidError(`localpart: ${JSON.stringify(enforced.match(FORBIDDEN_IN_LOCALPART)![0])} is not allowed`);
    checkLength(enforced, 'localpart');
    return enforced;
  });
}

/** RFC 7622 §3.2: a domainpart as lower-case U-labels (or an IP literal); throws InvalidJidError. */
export function normalizeDomain(domain: string): string {
  // §3.2: a trailing dot is stripped before comparison.
  const name = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  if (name === '') throw new InvalidJidError('empty domainpart');
  const lower = UPPER.test(name) ? name.toLowerCase() : name;
  if (lower.length <= 253 && ASCII_DOMAIN.test(lower) && plainLdhLabels(lower)) return lower;
  if (IP_LITERAL.test(lower)) return lower;
  return cached(domains, name, () => {
    // IDNA2008 as UTS 46 nontransitional processing with the STD3 rules (RFC 5895, RFC 7622 §3.2.2).
    const options = { checkHyphens: true, checkBidi: true, checkJoiners: true, useSTD3ASCIIRules: true, transitionalProcessing: false };
    const unicode = toUnicode(name, options);
    if (unicode.error || toASCII(name, { ...options, verifyDNSLength: true }) === null) {
      throw new InvalidJidError('domainpart: not a valid domain name (IDNA2008)');
    }
    checkLength(unicode.domain, 'domainpart');
    return unicode.domain;
  });
}

/** RFC 7622 §3.4: a resourcepart in its enforced form; throws InvalidJidError. */
export function normalizeResource(resource: string): string {
  if (ASCII_RESOURCE.test(resource)) {
    checkLength(resource, 'resourcepart');
    return resource;
  }
  return cached(resources, resource, () => {
    const enforced = precis(opaqueString, resource, 'resourcepart');
    checkLength(enforced, 'resourcepart');
    return enforced;
  });
}

/**
 * Every label of an LDH name is its own A-label form: at most 63 characters, no hyphen at either
 * end, none in both the third and fourth places (RFC 5891 §4.2.3.1: 'xn--' labels take the slow path).
 */
function plainLdhLabels(name: string): boolean {
  let start = 0;
  while (start <= name.length) {
    let end = name.indexOf('.', start);
    if (end === -1) end = name.length;
    if (end - start > 63 || name[start] === '-' || name[end - 1] === '-' || (name[start + 2] === '-' && name[start + 3] === '-' && end - start > 3)) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

function precis(profile: (value: string) => string, value: string, part: string): string {
  try {
    return profile(value);
  } catch (error) {
    if (error instanceof PrecisError) throw new InvalidJidError(`${part}: ${error.message}`);
    throw error;
  }
}

// Enforced forms (or the error) of non-ASCII parts, bounded: a flood of distinct names only empties it.
const CACHE_SIZE = 2048;
const localparts = new Map<string, string | InvalidJidError>();
const domains = new Map<string, string | InvalidJidError>();
const resources = new Map<string, string | InvalidJidError>();

function cached(cache: Map<string, string | InvalidJidError>, input: string, enforce: () => string): string {
  let result = cache.get(input);
  if (result === undefined) {
    try {
      result = enforce();
    } catch (error) {
      if (!(error instanceof InvalidJidError)) throw error;
      result = error;
    }
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(input, result);
  }
  if (typeof result !== 'string') throw result;
  return result;
}

function checkLength(part: string, what: string): void {
  // Fast path: 1023 UTF-16 units of ASCII is 1023 octets; only measure when it could exceed.
  if (part.length * 3 > MAX_PART_OCTETS && utf8Length(part) > MAX_PART_OCTETS) {
    throw new InvalidJidError(`${what} longer than ${MAX_PART_OCTETS} octets`);
  }
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}
