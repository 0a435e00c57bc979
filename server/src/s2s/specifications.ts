// What federation (s2s/) implements, for the generated feature table.
import type { Specification } from '../core/module-api.ts';

export const federationSpecifications: Specification[] = [
  { spec: 'RFC 6120', status: 'complete', note: 's2s on jabber:server: SRV/A lookup (§3.2), STARTTLS required, SASL EXTERNAL, addressing rules of §8.1.1–§8.1.2 (invalid-from, improper-addressing, host-unknown)' },
  { spec: 'XEP-0220', version: '1.1.1', status: 'complete', note: 'dialback: db:result and db:verify both ways, error conditions; piggybacking (§2.4) both ways: another pair towards a peer already reached rides its stream (another local domain, or a remote domain its certificate covers)' },
  { spec: 'XEP-0185', version: '1.0', status: 'complete', note: 'dialback keys: HMAC-SHA256 of receiving, originating and stream id with a per-server secret' },
  { spec: 'XEP-0178', version: '1.2', status: 'complete', note: 'SASL EXTERNAL with certificates that verify for the peer (system store + s2s.trustedCaFile), both ways' },
  { spec: 'XEP-0344', version: '1.1', status: 'partial', note: 'a peer certificate valid for the claimed domain proves a dialback request without the callback' },
  { spec: 'XEP-0288', version: '1.0.1', status: 'complete', note: 'bidirectional s2s: offered on incoming streams; asked for on outgoing links to a peer whose certificate verifies, whose stanzas are then taken on that link' },
  { spec: 'XEP-0368', version: '1.1.0', status: 'complete', note: 'direct TLS s2s: _xmpps-server targets first, listener with ALPN xmpp-server (s2s.tlsPort)' },
];
