// What stanzas pass on their way between a client and its session, for the modules that count,
// keep or hold them (issue 11): XEP-0198 counts every stanza each way and keeps the ones sent until
// the client acknowledges them; XEP-0352 holds what can wait while the client is inactive.
// session/client-session.ts calls them; the modules implement them and set them on the session.

/** Told once the client acknowledged a stanza (XEP-0198), or once it was written when nothing counts. */
export interface DeliveryReceipt {
  delivered(): void;
  /**
   * The session ended before its client acknowledged it, and nothing stores it for the next session
   * (a message forwarded by another node of the cluster: cluster/node-forwarder.ts). Without it the
   * stanza is taken to be stored (an offline message stays in storage).
   */
  undelivered?(): void;
}

/** XEP-0198 §4 counting on one session (modules/stream-management/ implements it). */
export interface StanzaAcknowledgement {
  /** A stanza from the client was handled: counts for the server's <a h/>. */
  received(): void;
  /**
   * A stanza goes to the client (also while no stream carries the session): kept until acknowledged.
   * `receipt` is told when the client acknowledged it (a stored copy, e.g. an offline message, is
   * deleted then).
   */
  sent(xml: string, receipt: DeliveryReceipt | null): void;
}

/** XEP-0352 §5: stanzas held while the client says it is inactive (modules/csi.ts implements it). */
export interface StanzaHold {
  /** true when the hold keeps the stanza (it goes out later through deliverNow, or is replaced). */
  take(xml: string): boolean;
}
