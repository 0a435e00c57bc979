// Piggybacking (XEP-0220 §2.4, "multiplexing"): a second domain pair rides an outgoing stream that
// is already up instead of opening a connection of its own. Another served domain towards the same
// peer domain, or our domain towards another domain of the same peer whose certificate covers it
// (RFC 6125: the stream reached a server that may speak for that domain), sends one more
// <db:result/> on the carrying stream; the pair carries stanzas once the peer answers type='valid'.
// A refusal (invalid, error, or no answer in time) hands the waiting stanzas to a link of its own.
import { StanzaError, type Element, type StreamError } from '@parley/shared';
import type { LinkFacts, LinkMonitor } from './link-monitor.ts';

/** A domain pair's way to a peer: a link of its own (outgoing-link.ts) or a ride on one (here). */
export interface PeerLink {
  readonly local: string;
  readonly remote: string;
  readonly ready: boolean;
  readonly isClosed: boolean;
  readonly authenticatedBy: 'sasl-external' | 'dialback' | null;
  readonly directTls: boolean;
  readonly bidirectional: boolean;
  /** Rides another pair's stream (XEP-0220 §2.4). */
  readonly piggybacked: boolean;
  /** Stanzas waiting for the pair to be ready. */
  readonly queued: number;
  send(stanza: Element): void;
  /** XEP-0220 §2.3: ask the peer, authoritative for `remote`, whether it made `key` for our stream `streamId`. */
  verify(streamId: string, key: string): Promise<boolean>;
  close(error?: StreamError, why?: string): void;
}

/** What a pair needs of the stream it rides (OutgoingLink). */
export interface Carrier {
  /** Our <db:result/> for the pair, with the key for the carrier's stream id. */
  sendDialbackResult(local: string, remote: string): void;
  writeStanza(stanza: Element): void;
  verify(streamId: string, key: string, local: string, remote: string): Promise<boolean>;
  /** The carrier's connection, as the logs describe it (address, TLS). */
  facts(): LinkFacts;
  readonly bidirectional: boolean;
  readonly directTls: boolean;
}

export interface PiggybackServices {
  readonly monitor: LinkMonitor;
  readonly maxQueuedStanzas: number;
  /** How long the peer has to answer the <db:result/>. */
  readonly answerTimeoutMs: number;
  bounce(stanza: Element, error: StanzaError): void;
  /** The peer did not take the pair: its stanzas go on a link of its own. */
  refused(pair: PiggybackedPair, waiting: Element[]): void;
  closed(pair: PiggybackedPair): void;
}

export class PiggybackedPair implements PeerLink {
  readonly piggybacked = true;
  private state: 'dialback' | 'ready' | 'closed' = 'dialback';
  private queue: Element[] = [];
  private timer: NodeJS.Timeout | null;

  constructor(private readonly carrier: Carrier, private readonly services: PiggybackServices, readonly local: string, readonly remote: string) {
    this.timer = setTimeout(() => this.answered('timeout'), services.answerTimeoutMs);
    this.timer.unref();
    carrier.sendDialbackResult(local, remote);
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  get authenticatedBy(): 'dialback' | null {
    return this.state === 'ready' ? 'dialback' : null;
  }

  get directTls(): boolean {
    return this.carrier.directTls;
  }

  get bidirectional(): boolean {
    return this.carrier.bidirectional;
  }

  get queued(): number {
    return this.queue.length;
  }

  send(stanza: Element): void {
    if (this.state === 'ready') return this.carrier.writeStanza(stanza);
    if (this.state === 'closed') return this.services.bounce(stanza, new StanzaError('remote-server-not-found', `the link to ${this.remote} is closed`));
    if (this.queue.length >= this.services.maxQueuedStanzas) {
      return this.services.bounce(stanza, new StanzaError('resource-constraint', `too many stanzas wait for ${this.remote}`, 'wait'));
    }
    this.queue.push(stanza);
  }

  verify(streamId: string, key: string): Promise<boolean> {
    return this.state === 'closed' ? Promise.resolve(false) : this.carrier.verify(streamId, key, this.local, this.remote);
  }

  /** The peer's answer to our <db:result/> for this pair (its type), or 'timeout'. */
  answered(type: string): void {
    if (this.state !== 'dialback') return;
    this.clearTimer();
    if (type === 'valid') {
      this.state = 'ready';
      this.services.monitor.up(this.facts());
      const queue = this.queue;
      this.queue = [];
      for (const stanza of queue) this.carrier.writeStanza(stanza);
      return;
    }
    // not a failure of the peer's: it declines to multiplex; a link of its own is tried
    this.services.monitor.abandoned(this.facts(), `the peer did not take the piggybacked pair (${type}); opening a link of its own`);
    this.state = 'closed';
    const waiting = this.queue;
    this.queue = [];
    this.services.closed(this);
    this.services.refused(this, waiting);
  }

  /** Stop using the carrier for this pair (a policy change, the domain gone); the carrier stays. */
  close(_error?: StreamError, why = 'closed'): void {
    this.end(new StanzaError('remote-server-not-found', `the link to ${this.remote} was closed`), why, false);
  }

  /** The carrying stream ended: this pair with it. */
  carrierClosed(error: StanzaError, why: string, byError: boolean): void {
    this.end(error, `the carrying stream ended: ${why}`, byError);
  }

  private end(error: StanzaError, why: string, byError: boolean): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    this.clearTimer();
    if (wasReady) this.services.monitor.down(this.facts(), why, byError);
    else this.services.monitor.abandoned(this.facts(), why);
    const queue = this.queue;
    this.queue = [];
    this.services.closed(this);
    for (const stanza of queue) this.services.bounce(stanza, error);
  }

  private facts(): LinkFacts {
    return { ...this.carrier.facts(), local: this.local, remote: this.remote, method: 'dialback' };
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
