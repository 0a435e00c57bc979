// Reaching a peer server (RFC 6120 §3.2; XEP-0368): its SRV targets in order (_xmpps-server direct
// TLS first, then _xmpp-server, or A/AAAA on 5269), each address tried until one answers. What fails
// is said as the stanza error its senders get (RFC 6120 §8.3.3.15–16) and a bounded reason (metrics).
import { StanzaError } from '@parley/shared';
import type { SecureContext } from 'node:tls';
import { DnsError, ServiceUnavailableError, resolvedTargets, type DnsResolver } from '../dns/index.ts';
import { OutgoingTcpConnection } from '../transport/tcp-outgoing.ts';

export interface PeerConnectOptions {
  readonly dns: DnsResolver;
  readonly local: string;
  readonly remote: string;
  /** Our certificate for `local` with the CAs trusted for peers. */
  readonly secureContext: SecureContext;
  readonly localAddress: string | undefined;
  readonly timeoutMs: number;
  /** Stop trying (the link was closed meanwhile). */
  readonly abandoned: () => boolean;
}

export type PeerConnection =
  | { connection: OutgoingTcpConnection; address: string; directTls: boolean }
  | { error: StanzaError; reason: 'dns' | 'unreachable' }
  | null;

/** The first target that answers, why none did, or null when abandoned. */
export async function connectToPeer(options: PeerConnectOptions): Promise<PeerConnection> {
  const { dns, remote } = options;
  let lastError: unknown = null;
  try {
    for await (const target of resolvedTargets(dns, remote, 'server')) {
      for (const { address } of target.addresses) {
        if (options.abandoned()) return null;
        try {
          const connection = await OutgoingTcpConnection.connect(
            { address, port: target.port, directTls: target.directTls, localAddress: options.localAddress },
            { servername: remote, secureContext: options.secureContext, alpnProtocols: target.directTls ? ['xmpp-server'] : undefined },
            options.timeoutMs);
          if (options.abandoned()) {
            connection.destroy();
            return null;
          }
          return { connection, address: `${address}:${target.port}`, directTls: target.directTls };
        } catch (error) {
          lastError = error;
        }
      }
    }
  } catch (error) {
    lastError = error;
  }
  const dnsFailure = lastError instanceof DnsError || lastError instanceof ServiceUnavailableError;
  return { error: unreachable(remote, lastError), reason: dnsFailure ? 'dns' : 'unreachable' };
}

function unreachable(remote: string, error: unknown): StanzaError {
  if (error instanceof DnsError && error.kind === 'timeout') return new StanzaError('remote-server-timeout', `DNS for ${remote} did not answer in time`);
  if (error instanceof ServiceUnavailableError) return new StanzaError('remote-server-not-found', error.message);
  if (error instanceof DnsError) return new StanzaError('remote-server-not-found', `${remote} cannot be found in DNS`);
  const text = error instanceof Error ? error.message : 'no address answered';
  return new StanzaError('remote-server-not-found', `${remote} cannot be reached: ${text}`);
}
