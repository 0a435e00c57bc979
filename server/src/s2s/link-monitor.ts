// What an admin reads of federation (issue 17): every s2s link going up, down or failing, in the log
// (info for up and a clean end, warn for a failure or an end by error) with its direction, domains,
// address, authentication method and TLS, and the reason; and the counters behind /metrics (links
// established by method, failures by reason). Outgoing links and incoming streams report here.
import type { Logger } from '../logger.ts';
import { LabelledCounts } from '../metrics/feature-metrics.ts';

export type LinkDirection = 'outgoing' | 'incoming';

/** How a domain pair was proven: SASL EXTERNAL with a certificate (XEP-0178) or dialback (XEP-0220). */
export type LinkMethod = 'EXTERNAL' | 'dialback';

/**
 * Why an outgoing link could not be set up (a bounded set: the /metrics label): DNS gave no target,
 * no target answered, the peer took too long, TLS was refused or missing, the certificate did not
 * verify where it must, the peer did not accept our authentication, the peer ended the stream, the
 * stream broke the protocol, the connection was lost. Incoming streams use the RFC 6120 §4.9.3
 * condition of the stream error they ended with, or 'dialback-invalid' / 'closed-unauthenticated'.
 */
export type OutgoingFailure = 'dns' | 'unreachable' | 'timeout' | 'tls' | 'certificate' | 'authentication' | 'stream-error' | 'protocol' | 'connection-lost';

export interface LinkFacts {
  readonly direction: LinkDirection;
  readonly local: string;
  readonly remote: string;
  /** The peer's address ('ip:port' when known). */
  readonly address: string;
  readonly method: LinkMethod | null;
  readonly tls: boolean;
  readonly directTls: boolean;
}

export class LinkMonitor {
  /** Domain pairs proven, by direction and method (a counter since start). */
  readonly established = new LabelledCounts(['direction', 'method'] as const);
  /** Links and streams that ended before any domain pair was proven, by direction and reason. */
  readonly failures = new LabelledCounts(['direction', 'reason'] as const);

  constructor(private readonly log: Logger) {}

  up(link: LinkFacts): void {
    this.established.add({ direction: link.direction, method: link.method ?? 'none' });
    this.log.info({ event: 's2s-link-up', ...link }, `${link.direction} s2s link up`);
  }

  /** A link that was up ended; `error`: it ended with a stream error (warn), not a clean close. */
  down(link: LinkFacts, reason: string, error = false): void {
    const record = { event: 's2s-link-down', ...link, reason };
    if (error) this.log.warn(record, `${link.direction} s2s link down`);
    else this.log.info(record, `${link.direction} s2s link down`);
  }

  /** A link that never came up; `reason` is the bounded label, `text` says what happened. */
  failed(link: LinkFacts, reason: string, text: string): void {
    this.failures.add({ direction: link.direction, reason });
    this.log.warn({ event: 's2s-link-failed', ...link, reason, text }, `${link.direction} s2s link failed`);
  }

  /** A link we closed before it was up (shutdown, a policy change): not the peer's failure. */
  abandoned(link: LinkFacts, reason: string): void {
    this.log.info({ event: 's2s-link-closed', ...link, reason }, `${link.direction} s2s link closed before it was up`);
  }
}
