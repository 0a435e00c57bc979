// What the stream layer and transports implement, for the generated feature table.
import type { Specification } from '../core/module-api.ts';

export const coreSpecifications: Specification[] = [
  { spec: 'RFC 6120', status: 'complete', note: 'streams, STARTTLS, SASL, resource binding, stanza routing (c2s)' },
  { spec: 'RFC 7622', status: 'complete', note: 'JIDs enforced with PRECIS: UsernameCaseMapped localparts, OpaqueString resourceparts (RFC 8264, RFC 8265), IDNA2008 domainparts (UTS 46)' },
  { spec: 'RFC 5802 / RFC 7677', status: 'complete', note: 'SCRAM-SHA-1 and SCRAM-SHA-256 without channel binding' },
  { spec: 'RFC 4616', status: 'complete', note: 'PLAIN, only over TLS' },
  { spec: 'RFC 7628', status: 'complete', note: "OAUTHBEARER with the suite's JWTs (config sso), only over TLS" },
  { spec: 'RFC 7395', status: 'complete', note: 'XMPP over WebSocket' },
  { spec: 'XEP-0124', version: '1.11.2', status: 'complete', note: 'BOSH: long-polling, rid window, acks, pause, key sequences; not the optional multiple streams (§16)' },
  { spec: 'XEP-0206', version: '1.4', status: 'complete', note: 'XMPP over BOSH, stream restart' },
  { spec: 'XEP-0368', version: '1.1.0', status: 'complete', note: 'direct TLS with ALPN xmpp-client' },
  { spec: 'RFC 3921 §3', status: 'complete', note: 'legacy session establishment, announced as optional' },
];
