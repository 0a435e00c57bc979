// SASL2 (XEP-0388) on the panel's side: <authenticate/> with our <user-agent/> and FAST
// (XEP-0484) requests, <challenge/>/<response/>, then <success/> with the authorization
// identifier and any new token, or <failure/>. No stream restart follows (§2.6.1).
import { NS, xml, type Element } from '@parley/shared';
import { fromBase64, toBase64, utf8, fromUtf8 } from '@parley/shared/sasl/encoding';
import type { ClientMechanism } from '@parley/shared/sasl/mechanism';
import { AuthenticationError } from '../errors.ts';
import type { Inbox } from '../inbox.ts';
import type { Transport } from '../transport/transport.ts';

/** A SASL mechanism over bytes (the HT mechanisms send binary hashes, not text). */
export interface BytesMechanism {
  readonly name: string;
  initial(): Promise<Uint8Array>;
  challenge(data: Uint8Array): Promise<Uint8Array>;
  success(data: Uint8Array): Promise<void>;
}

export function bytesMechanism(mechanism: ClientMechanism): BytesMechanism {
  return {
    name: mechanism.name,
    initial: async () => utf8(await mechanism.initial()),
    challenge: async (data) => utf8(await mechanism.challenge(fromUtf8(data))),
    success: (data) => mechanism.success(fromUtf8(data)),
  };
}

export interface UserAgent {
  /** Stable for this browser profile (§2.5.1): FAST tokens are bound to it. */
  id: string;
  software: string;
  device?: string;
}

export interface Sasl2Request {
  mechanism: BytesMechanism;
  userAgent: UserAgent;
  /** Signing in with a FAST token; `invalidate` signs out with it (XEP-0484 §3.6). */
  usingToken?: { invalidate: boolean };
  /** Ask for a FAST token for this mechanism (XEP-0484 §3.2). */
  requestToken?: string;
}

export interface Sasl2Success {
  /** The authorization identifier (§2.6.1). */
  jid: string;
  /** A new FAST token (asked for, or a rotation of the one used: XEP-0484 §3.3, §3.5). */
  token?: { token: string; expiry: string };
}

/** What the server offers in <authentication/>: mechanisms and FAST mechanisms. */
export function sasl2Offer(features: Element): { mechanisms: string[]; fast: string[] } | null {
  const authentication = features.getChild('authentication', NS.sasl2);
  if (!authentication) return null;
  const texts = (parent: Element | undefined) => (parent?.getChildren('mechanism') ?? []).map((m) => m.getText().trim());
  return { mechanisms: texts(authentication), fast: texts(authentication.getChild('inline')?.getChild('fast', NS.fast)) };
}

const encode = (bytes: Uint8Array) => (bytes.length === 0 ? '=' : toBase64(bytes));
const decode = (text: string) => {
  const compact = text.replace(/\s+/g, '');
  return compact === '' || compact === '=' ? new Uint8Array() : fromBase64(compact);
};

export async function authenticate2(transport: Transport, inbox: Inbox, request: Sasl2Request): Promise<Sasl2Success> {
  const { mechanism, userAgent } = request;
  transport.send(xml('authenticate', { xmlns: NS.sasl2, mechanism: mechanism.name },
    xml('initial-response', null, encode(await mechanism.initial())),
    xml('user-agent', { id: userAgent.id }, xml('software', null, userAgent.software), userAgent.device ? xml('device', null, userAgent.device) : null),
    request.usingToken ? xml('fast', { xmlns: NS.fast, invalidate: request.usingToken.invalidate ? 'true' : undefined }) : null,
    request.requestToken ? xml('request-token', { xmlns: NS.fast, mechanism: request.requestToken }) : null));
  for (;;) {
    const element = await inbox.next();
    if (element.attrs.xmlns !== NS.sasl2) continue;
    switch (element.name) {
      case 'challenge':
        transport.send(xml('response', { xmlns: NS.sasl2 }, encode(await mechanism.challenge(decode(element.getText())))));
        break;
      case 'success': {
        const additional = element.getChildText('additional-data');
        await mechanism.success(additional ? decode(additional) : new Uint8Array());
        const token = element.getChild('token', NS.fast);
        return {
          jid: element.getChildText('authorization-identifier')?.trim() ?? '',
          token: token?.attrs.token ? { token: token.attrs.token, expiry: token.attrs.expiry ?? '' } : undefined,
        };
      }
      case 'failure': {
        const condition = element.children.find((node): node is Element => typeof node !== 'string' && node.attrs.xmlns === NS.sasl);
        throw new AuthenticationError(condition?.name ?? 'not-authorized', element.getChildText('text') ?? undefined);
      }
    }
  }
}
