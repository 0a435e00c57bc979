// JIDs, RFC 7622: localpart@domainpart/resourcepart, compared in normalized form.
//
// Normalization is a practical subset of the PRECIS profiles (RFC 7622 §3.2–3.4):
// localpart and domainpart are case-folded and NFKC-normalized, the resourcepart is
// NFC-normalized (OpaqueString keeps case). Each part is limited to 1023 octets (§3.1).

const MAX_PART_OCTETS = 1023;
// RFC 7622 §3.3.1: characters disallowed in a localpart.
const FORBIDDEN_IN_LOCALPART = /["&'/:<>@\s\u0000-\u001f\u007f]/;
const FORBIDDEN_IN_DOMAIN = /[\s\u0000-\u001f\u007f@/"&'<>]/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

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

/** Parse and normalize a JID; throws InvalidJidError (→ jid-malformed) when it is not valid. */
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

export function normalizeLocalpart(local: string): string {
  const normalized = local.normalize('NFKC').toLowerCase();
  if (normalized === '') throw new InvalidJidError('empty localpart');
  if (FORBIDDEN_IN_LOCALPART.test(normalized)) throw new InvalidJidError('forbidden character in localpart');
  checkLength(normalized, 'localpart');
  return normalized;
}

export function normalizeDomain(domain: string): string {
  // RFC 7622 §3.2: a trailing dot is stripped before comparison.
  let normalized = domain.normalize('NFKC').toLowerCase();
  if (normalized.endsWith('.')) normalized = normalized.slice(0, -1);
  if (normalized === '') throw new InvalidJidError('empty domainpart');
  if (FORBIDDEN_IN_DOMAIN.test(normalized)) throw new InvalidJidError('forbidden character in domainpart');
  if (normalized.startsWith('[')) {
    if (!normalized.endsWith(']')) throw new InvalidJidError('bad IPv6 literal');
  } else if (normalized.split('.').some((label) => label === '' || label.length > 63)) {
    throw new InvalidJidError('bad domain label');
  }
  checkLength(normalized, 'domainpart');
  return normalized;
}

export function normalizeResource(resource: string): string {
  const normalized = resource.normalize('NFC');
  if (normalized === '') throw new InvalidJidError('empty resourcepart');
  if (CONTROL_CHARS.test(normalized)) throw new InvalidJidError('control character in resourcepart');
  checkLength(normalized, 'resourcepart');
  return normalized;
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
