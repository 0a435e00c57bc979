// FAST (XEP-0484) inside SASL2: the <fast/> advertisement, the client's <fast/> (signing in with a
// token) and <request-token/> (asking for one), and the <token/> given in <success/>.
import { NS, xml, type Element } from '@parley/shared';
import { SaslError } from '../../sasl/index.ts';
import type { IssuedToken } from '../../auth/fast-tokens.ts';

export interface FastRequest {
  /** The client signs in with a token (<fast/>, §3.4): whether it also signs out with it (§3.6). */
  usingToken: { invalidate: boolean } | null;
  /** The mechanism of the token the client asks for (<request-token/>, §3.2), if it does. */
  requestedMechanism: string | null;
}

const truthy = (value: string | undefined) => value === '1' || value === 'true';

/** XEP-0484 §3.1: the HT mechanisms this stream can use. */
export function fastAdvertisement(mechanisms: readonly string[]): Element {
  return xml('fast', { xmlns: NS.fast }, ...mechanisms.map((name) => xml('mechanism', null, name)));
}

/**
 * The FAST children of <authenticate/>, checked before the mechanism runs: a token mechanism
 * only with <fast/> and vice versa, tokens only for offered mechanisms, and a client id to bind
 * them to (§4.1). `offered` is empty when FAST is not available on the stream.
 */
export function parseFastRequest(requests: Element[], mechanism: string, offered: readonly string[],
  hasClientId: boolean, encrypted: boolean): FastRequest {
  const request: FastRequest = { usingToken: null, requestedMechanism: null };
  for (const element of requests) {
    if (element.name === 'fast') {
      // §3.4 'count' protects TLS 0-RTT data; this server accepts no 0-RTT data, so it is only checked.
      const count = element.attrs.count;
      if (count !== undefined && !/^\d{1,10}$/.test(count)) throw new SaslError('malformed-request', 'bad FAST count');
      request.usingToken = { invalidate: truthy(element.attrs.invalidate) };
    } else if (element.name === 'request-token') {
      request.requestedMechanism = element.attrs.mechanism ?? '';
    }
  }
  if (request.usingToken === null && request.requestedMechanism === null) return request;
  // §6: tokens only over a secure connection.
  if (!encrypted) throw new SaslError('encryption-required', 'FAST needs an encrypted connection');
  if (!hasClientId) throw new SaslError('malformed-request', 'FAST needs a <user-agent id=…/> (XEP-0484 §4.1)');
  if (request.requestedMechanism !== null && !offered.includes(request.requestedMechanism)) {
    throw new SaslError('malformed-request', `no FAST tokens for ${request.requestedMechanism || '(no mechanism)'}`);
  }
  if (request.usingToken && !offered.includes(mechanism)) {
    throw new SaslError('invalid-mechanism', `${mechanism} is not a FAST mechanism offered here`);
  }
  return request;
}

/** XEP-0484 §3.3: the token, with its expiry as an XEP-0082 DateTime. */
export function tokenElement(issued: IssuedToken): Element {
  return xml('token', { xmlns: NS.fast, expiry: issued.expiry.toISOString().replace(/\.\d{3}Z$/, 'Z'), token: issued.token });
}
