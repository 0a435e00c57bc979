// Every open client stream of this node, bound or still negotiating: what system-shutdown reaches
// on stop (RFC 6120 §4.9.3.17), and what host-gone ends when a served domain goes away
// (§4.9.3.5: the domain "is no longer serviced by the receiving entity").
import { StreamError } from '@parley/shared';
import type { ServerHub } from '../core/server-events.ts';
import type { C2sStream } from './c2s-stream.ts';

export class OpenStreams {
  private readonly open = new Set<C2sStream>();

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

  opened(stream: C2sStream): void {
    this.open.add(stream);
  }

  closed(stream: C2sStream): void {
    this.open.delete(stream);
  }

  get size(): number {
    return this.open.size;
  }

  /** End every open stream with this error (server stop: system-shutdown). */
  endAll(error: StreamError): void {
    for (const stream of [...this.open]) stream.streamError(error);
  }
}
