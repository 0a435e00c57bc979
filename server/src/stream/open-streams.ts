// Every open client stream of this node, bound or still negotiating: what system-shutdown reaches
// on stop (RFC 6120 §4.9.3.17), and what host-gone ends when a served domain goes away
// (§4.9.3.5: the domain "is no longer serviced by the receiving entity").
import { StreamError, type JID } from '@parley/shared';
import type { ServerHub } from '../core/server-events.ts';

/** What this registry needs of a stream (c2s-stream.ts; s2s streams later). */
export interface OpenStream {
  /** The served domain the stream was opened to. */
  readonly domain: string;
  /** 'tcp', 'websocket', 'bosh' (for the metrics) */
  readonly transport: string;
  /** Its bound session, if any (whose account domain may be the canonical one of an alias). */
  readonly session: { readonly jid: JID } | null;
  streamError(error: StreamError): void;
}

export class OpenStreams {
  private readonly open = new Set<OpenStream>();

  constructor(hub: ServerHub) {
    hub.on('host-removed', (event) => {
      const domain = event.name;
      for (const stream of [...this.open]) {
        if (stream.domain === domain || stream.session?.jid.domain === domain) {
          stream.streamError(new StreamError('host-gone', `${domain} is no longer served here`));
        }
      }
    });
  }

  opened(stream: OpenStream): void {
    this.open.add(stream);
  }

  closed(stream: OpenStream): void {
    this.open.delete(stream);
  }

  get size(): number {
    return this.open.size;
  }

  /** Open streams per transport (metrics/). */
  byTransport(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const stream of this.open) counts.set(stream.transport, (counts.get(stream.transport) ?? 0) + 1);
    return counts;
  }

  /** End every open stream with this error (server stop: system-shutdown). */
  endAll(error: StreamError): void {
    for (const stream of [...this.open]) stream.streamError(error);
  }
}
