// The cluster bus (issue 15): how Parley nodes talk to each other. Two kinds of subjects: the
// broadcast ones every node hears (membership, session table changes, suite events) and one inbox
// per node (stanzas for its sessions, its rooms, resumption hand-overs). Payloads are strings
// (JSON, or a stanza's XML). nats-bus.ts carries it over NATS, ipc-bus.ts between the workers of one
// `parley start --workers N` through the primary process.

export type BusHandler = (data: string) => void;

/** Answers a request; a thrown error (or rejection) is sent back as the request's failure. */
export type BusResponder = (data: string) => string | Promise<string>;

export interface ClusterBus {
  /** To every node that subscribed (this one too, if it did: receivers skip their own messages). */
  broadcast(topic: string, data: string): void;
  /** Hear a broadcast topic. */
  onBroadcast(topic: string, handler: BusHandler): void;
  /** To one node's inbox (fire and forget). One sender's sends and broadcasts arrive in the order made. */
  send(node: string, data: string): void;
  /** This node's inbox. Call once, before `ready`. */
  onInbox(handler: BusHandler): void;
  /** A request to one node, answered by its responder for `topic`, or rejected after `timeoutMs`. */
  request(node: string, topic: string, data: string, timeoutMs: number): Promise<string>;
  respond(topic: string, responder: BusResponder): void;
  /** Subscriptions are in place (messages sent to this node from now on arrive). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** A request the node did not answer in time (or that it refused). */
export class BusRequestError extends Error {}
