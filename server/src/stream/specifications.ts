// What the stream layer and transports implement, for the generated feature table.
import type { Specification } from '../core/module-api.ts';

export const coreSpecifications: Specification[] = [
  { spec: 'RFC 6120', status: 'complete', note: 'streams, STARTTLS, SASL, resource binding, stanza routing (c2s)' },
  { spec: 'RFC 7622', status: 'complete', note: 'JIDs enforced with PRECIS: UsernameCaseMapped localparts, OpaqueString resourceparts (RFC 8264, RFC 8265), IDNA2008 domainparts (UTS 46)' },
  { spec: 'RFC 5802 / RFC 7677', status: 'complete', note: 'SCRAM-SHA-1 and SCRAM-SHA-256, and their -PLUS variants with channel binding on TCP/TLS (a client saying "y" where -PLUS was offered is refused)' },
  { spec: 'RFC 9266', status: 'complete', note: 'tls-exporter channel binding, on TLS 1.3' },
  { spec: 'RFC 5929', status: 'partial', note: 'tls-server-end-point channel binding; tls-unique is not announced (undefined for TLS 1.3, weak on TLS 1.2) but accepted from clients that bind with it anyway (slixmpp 1.8)' },
  { spec: 'XEP-0440', version: '0.4.2', status: 'complete', note: 'channel-binding types announced as a stream feature' },
  { spec: 'XEP-0388', version: '0.4.0', status: 'partial', note: 'SASL2 with inline features and the user-agent; no <continue/> tasks (no second factor, no SCRAM upgrade)' },
  { spec: 'XEP-0386', version: '1.0.0', status: 'partial', note: 'Bind 2: <tag>/<id> resources stable per client, inline features (modules register); offline messages still come on initial presence, no MAM metadata in <bound/>' },
  { spec: 'XEP-0484', version: '0.2.0', status: 'complete', note: 'FAST tokens (HT-SHA-256-NONE, -EXPR, -ENDP), rotated, invalidated by the client, revoked by the admin, ended by a new password; no TLS 0-RTT' },
  { spec: 'RFC 4616', status: 'complete', note: 'PLAIN, only over TLS' },
  { spec: 'RFC 7628', status: 'complete', note: "OAUTHBEARER with the suite's JWTs (config sso), only over TLS" },
  { spec: 'RFC 7395', status: 'complete', note: 'XMPP over WebSocket' },
  { spec: 'XEP-0124', version: '1.11.2', status: 'complete', note: 'BOSH: long-polling, rid window, acks, pause, key sequences; not the optional multiple streams (§16)' },
  { spec: 'XEP-0206', version: '1.4', status: 'complete', note: 'XMPP over BOSH, stream restart' },
  { spec: 'XEP-0368', version: '1.1.0', status: 'complete', note: 'direct TLS with ALPN xmpp-client' },
  { spec: 'XEP-0114', version: '1.6', status: 'complete', note: 'external components on components.port: handshake with a per-component secret, the domain served while connected' },
  { spec: 'RFC 3921 §3', status: 'complete', note: 'legacy session establishment, announced as optional' },
];
