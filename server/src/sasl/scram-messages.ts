// Parsing of the client's SCRAM messages (RFC 5802 §5.1 attributes, §7 ABNF).
// Any deviation from the grammar is reported as SaslError('malformed-request').
import { decodeBase64 } from './primitives.ts';
import { SaslError } from './errors.ts';

/** Upper bound on a single SCRAM message; real ones are a few hundred bytes. */
export const MAX_MESSAGE_BYTES = 8192;

/** gs2-cbind-flag (RFC 5802 §7): no binding, "I could bind but think you cannot", or binding to a type. */
export type ChannelBindingFlag = { kind: 'n' } | { kind: 'y' } | { kind: 'p'; type: string };

export interface ClientFirst {
  /** gs2-header verbatim, including its trailing comma, e.g. "n,," or "p=tls-exporter,a=bob,". */
  gs2Header: string;
  cbindFlag: ChannelBindingFlag;
  /** Decoded authzid (from "a="), if present. */
  authzid?: string;
  /** Decoded (=2C / =3D) but not yet SASLprep'ed username. */
  username: string;
  /** c-nonce */
  nonce: string;
  /** client-first-message-bare, needed verbatim for AuthMessage (RFC 5802 §3). */
  bare: string;
}

export interface ClientFinal {
  /** Decoded "c=" value. */
  channelBinding: Buffer;
  /** "r=" value: c-nonce followed by s-nonce. */
  nonce: string;
  /** Decoded "p=" value. */
  proof: Buffer;
  /** client-final-message-without-proof, verbatim for AuthMessage. */
  withoutProof: string;
}

function malformed(text: string): never {
  throw new SaslError('malformed-request', text);
}

/** SCRAM messages are UTF-8 (RFC 5802 §5.1); invalid sequences are malformed. */
export function decodeUtf8(buf: Buffer): string {
  if (buf.length > MAX_MESSAGE_BYTES) malformed('message too long');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    return malformed('message is not valid UTF-8');
  }
}

/**
 * saslname (RFC 5802 §7): value-chars with ',' and '=' escaped as "=2C" and
 * "=3D". Any other '=' sequence, NUL, or an empty name is malformed (§5.1).
 */
export function decodeSaslname(s: string): string {
  if (s.length === 0 || s.includes('\0') || s.includes(',')) malformed('bad saslname');
  if (/=(?!2C|3D)/.test(s)) malformed('bad saslname escape');
  return s.replace(/=2C|=3D/g, (esc) => (esc === '=2C' ? ',' : '='));
}

/** printable = %x21-2B / %x2D-7E — ASCII without ',' (RFC 5802 §7). */
export function isPrintableNonce(s: string): boolean {
  return /^[\x21-\x2B\x2D-\x7E]+$/.test(s);
}

/** One "x=value" attribute with the expected single-letter name. */
function attribute(part: string | undefined, name: string): string {
  if (part === undefined || !part.startsWith(`${name}=`)) malformed(`expected ${name}= attribute`);
  return part.slice(2);
}

/** extensions = attr-val *("," attr-val), attr-val = ALPHA "=" value; ignored if well-formed. */
function checkExtensions(parts: string[]): void {
  for (const part of parts) {
    if (!/^[A-Za-z]=/.test(part)) malformed('bad attribute');
  }
}

/**
 * client-first-message = gs2-header client-first-message-bare
 * gs2-header = gs2-cbind-flag "," [ authzid ] ","   (RFC 5802 §7)
 */
export function parseClientFirst(text: string): ClientFirst {
  const c1 = text.indexOf(',');
  const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
  if (c2 < 0) malformed('missing gs2 header');

  // gs2-cbind-flag = ("p=" cb-name) / "n" / "y"; cb-name = 1*(ALPHA / DIGIT / "." / "-").
  // Whether the flag fits the mechanism and the connection is the mechanism's call (scram.ts).
  const flag = text.slice(0, c1);
  let cbindFlag: ChannelBindingFlag;
  if (flag === 'n' || flag === 'y') cbindFlag = { kind: flag };
  else if (/^p=[A-Za-z0-9.-]+$/.test(flag)) cbindFlag = { kind: 'p', type: flag.slice(2) };
  else malformed('bad gs2-cbind-flag');

  const authzPart = text.slice(c1 + 1, c2);
  let authzid: string | undefined;
  if (authzPart !== '') authzid = decodeSaslname(attribute(authzPart, 'a'));

  const bare = text.slice(c2 + 1);
  const parts = bare.split(',');
  // reserved-mext "m=": mandatory extensions we do not understand (§5.1).
  if (parts[0]?.startsWith('m=')) malformed('unsupported mandatory extension');
  const username = decodeSaslname(attribute(parts[0], 'n'));
  const nonce = attribute(parts[1], 'r');
  if (!isPrintableNonce(nonce)) malformed('bad client nonce');
  checkExtensions(parts.slice(2));

  const result: ClientFirst = { gs2Header: text.slice(0, c2 + 1), cbindFlag, username, nonce, bare };
  if (authzid !== undefined) result.authzid = authzid;
  return result;
}

/**
 * client-final-message = client-final-message-without-proof "," proof
 * client-final-message-without-proof = channel-binding "," nonce ["," extensions]
 */
export function parseClientFinal(text: string): ClientFinal {
  const parts = text.split(',');
  if (parts.length < 3) malformed('incomplete client-final-message');

  const channelBinding = decodeBase64(attribute(parts[0], 'c'));
  if (!channelBinding) malformed('bad channel-binding encoding');
  const nonce = attribute(parts[1], 'r');
  if (!isPrintableNonce(nonce)) malformed('bad nonce');
  checkExtensions(parts.slice(2, -1));
  const proof = decodeBase64(attribute(parts[parts.length - 1], 'p'));
  if (!proof) malformed('bad proof encoding');

  return { channelBinding, nonce, proof, withoutProof: parts.slice(0, -1).join(',') };
}
