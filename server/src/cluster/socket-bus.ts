// The cluster bus between the workers of `parley start --workers N` on one machine: a mesh of local
// sockets, one connection per pair of workers, so that a stanza for a session on another worker
// goes straight there — one write and one read — instead of through the primary process (two IPC
// hops with V8 serialization, and the primary's share of a core). The primary only introduces the
// workers (workers.ts): each listens on its own socket (Linux: an abstract address; elsewhere a
// file in a private temporary folder) and tells the primary; the primary answers with the workers
// already listening, which the newcomer connects to and greets with the primary's secret. What a
// worker has for another in one turn of the event loop leaves as one frame (mesh-frames.ts); one
// connection per pair keeps one sender's sends and broadcasts in order. The primary's IPC still
// brings what only it knows (a worker that died: its goodbye).
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { Logger } from '../logger.ts';
import type { BusHandler, BusResponder, ClusterBus } from './bus.ts';
import { PendingBusRequests } from './bus-requests.ts';
import { isIpcBatch } from './ipc-bus.ts';
import { FIELD_SEPARATOR, FrameReader, frameHeader, itemFields, parseItems, type MeshItem } from './mesh-frames.ts';

/** The environment a worker's mesh comes from (set by the primary, workers.ts). */
export const MESH_ADDRESS_ENV = 'PARLEY_MESH_ADDRESS';
export const MESH_SECRET_ENV = 'PARLEY_MESH_SECRET';

/** A batch is sent before it grows past this many characters. */
const MAX_BATCH_CHARS = 256 * 1024;
/** A frame may carry a whole session table (a joining worker's catch-up). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** An inbound connection that has not greeted by then is closed. */
const HELLO_TIMEOUT_MS = 5000;

/** Between a worker and its primary over IPC. */
export type MeshControl =
  | { readonly parleyMesh: 'listening'; readonly node: string; readonly address: string }
  | { readonly parleyMesh: 'peers'; readonly peers: ReadonlyArray<{ readonly node: string; readonly address: string }> };

export function isMeshControl(message: unknown): message is MeshControl {
  return typeof message === 'object' && message !== null && typeof (message as MeshControl).parleyMesh === 'string';
}

/** A worker's address: the mesh's base and the node name; a base starting with '@' is a Linux abstract address. */
export function meshAddress(base: string, node: string): string {
  return base.startsWith('@') ? `\0${base.slice(1)}-${node}` : `${base}-${node}`;
}

interface Peer {
  readonly node: string;
  readonly socket: net.Socket;
  fields: string[];
  chars: number;
}

type Channel = Pick<NodeJS.Process, 'send' | 'on' | 'off'>;

export class SocketClusterBus implements ClusterBus {
  private readonly peers = new Map<string, Peer>();
  private readonly dirty = new Set<Peer>();
  private flushScheduled = false;
  private readonly broadcastHandlers = new Map<string, BusHandler[]>();
  private readonly responders = new Map<string, BusResponder>();
  private readonly requests = new PendingBusRequests();
  private inbox: BusHandler = () => {};
  private closed = false;
  private server: net.Server | null = null;
  private introduced: ((peers: ReadonlyArray<{ node: string; address: string }>) => void) | null = null;
  private readonly secret: Buffer;
  private readonly listener = (message: unknown) => {
    if (isMeshControl(message)) {
      if (message.parleyMesh === 'peers') this.introduced?.(message.peers);
    } else if (isIpcBatch(message)) {
      // the primary speaks for a worker that died (its goodbye)
      for (const item of message.parleyBus) if (item.k === 'b') this.broadcastArrived(item.topic, item.data);
    }
  };

  constructor(private readonly node: string, private readonly base: string, secret: string, private readonly log: Logger,
    private readonly channel: Channel = process) {
    if (!channel.send) throw new Error('the socket cluster bus runs in a worker process (parley start --workers N)');
    this.secret = Buffer.from(secret);
    channel.on('message', this.listener);
  }

  broadcast(topic: string, data: string): void {
    for (const peer of this.peers.values()) this.push(peer, { k: 'b', topic, data });
  }

  onBroadcast(topic: string, handler: BusHandler): void {
    const handlers = this.broadcastHandlers.get(topic) ?? [];
    handlers.push(handler);
    this.broadcastHandlers.set(topic, handlers);
  }

  send(node: string, data: string): void {
    const peer = this.peers.get(node);
    // a worker not connected (yet, or any more) hears nothing, as the primary drops what is for a worker it lost
    if (peer) this.push(peer, { k: 's', data });
  }

  onInbox(handler: BusHandler): void {
    this.inbox = handler;
  }

  request(node: string, topic: string, data: string, timeoutMs: number): Promise<string> {
    return this.requests.start(node, topic, timeoutMs, (id) => {
      const peer = this.peers.get(node);
      if (peer) this.push(peer, { k: 'q', topic, id, data });
    });
  }

  respond(topic: string, responder: BusResponder): void {
    this.responders.set(topic, responder);
  }

  /** Listen, be introduced by the primary, and connect to the workers already there. */
  async ready(): Promise<void> {
    const address = meshAddress(this.base, this.node);
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const peers = await new Promise<ReadonlyArray<{ node: string; address: string }>>((resolve) => {
      this.introduced = resolve;
      this.channel.send!({ parleyMesh: 'listening', node: this.node, address } satisfies MeshControl);
    });
    this.introduced = null;
    await Promise.all(peers.map((peer) => this.connect(peer.node, peer.address)));
  }

  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    this.channel.off('message', this.listener);
    this.requests.closed();
    for (const peer of this.peers.values()) peer.socket.end();
    this.peers.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A worker that starts later connects here and names itself first. */
  private accept(socket: net.Socket): void {
    const reader = new FrameReader(MAX_FRAME_BYTES);
    let peer: Peer | null = null;
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    socket.on('error', (error) => this.log.warn({ err: error, peer: peer?.node }, 'cluster mesh: a connection failed'));
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (text) => {
          if (peer) return this.frameArrived(peer, text);
          const [word, secret, node] = text.split(FIELD_SEPARATOR);
          if (word !== 'hello' || !node || !this.secretMatches(secret ?? '')) throw new Error('a mesh connection without the greeting');
          clearTimeout(timer);
          peer = this.addPeer(node, socket);
        });
      } catch (error) {
        this.log.warn({ err: error, peer: peer?.node }, 'cluster mesh: a connection sent what it should not; closed');
        socket.destroy();
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (peer) this.removePeer(peer);
    });
  }

  /** Connect to a worker that was there first, and greet it. */
  private connect(node: string, address: string): Promise<void> {
    return new Promise((resolve) => {
      const reader = new FrameReader(MAX_FRAME_BYTES);
      const socket = net.connect(address);
      let peer: Peer | null = null;
      socket.once('connect', () => {
        const hello = ['hello', this.secret.toString(), this.node].join(FIELD_SEPARATOR);
        socket.write(frameHeader(hello));
        socket.write(hello);
        peer = this.addPeer(node, socket);
        resolve();
      });
      socket.on('error', (error) => {
        this.log.warn({ err: error, peer: node }, 'cluster mesh: cannot reach a worker');
        resolve(); // it died meanwhile: the primary says goodbye for it
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk, (text) => { if (peer) this.frameArrived(peer, text); });
        } catch (error) {
          this.log.warn({ err: error, peer: node }, 'cluster mesh: a worker sent what it should not; closed');
          socket.destroy();
        }
      });
      socket.on('close', () => {
        if (peer) this.removePeer(peer);
      });
    });
  }

  private addPeer(node: string, socket: net.Socket): Peer {
    socket.setNoDelay(true);
    const peer: Peer = { node, socket, fields: [], chars: 0 };
    const earlier = this.peers.get(node);
    this.peers.set(node, peer);
    earlier?.socket.destroy(); // a worker started again under its name
    return peer;
  }

  private removePeer(peer: Peer): void {
    if (this.peers.get(peer.node) === peer) this.peers.delete(peer.node);
    this.dirty.delete(peer);
  }

  private secretMatches(given: string): boolean {
    const bytes = Buffer.from(given);
    return bytes.length === this.secret.length && timingSafeEqual(bytes, this.secret);
  }

  private frameArrived(peer: Peer, text: string): void {
    const complete = parseItems(text, (item) => {
      try {
        this.itemArrived(peer, item);
      } catch (error) {
        this.log.error({ err: error, kind: item.k }, 'cluster mesh: a message failed');
      }
    });
    if (!complete) this.log.warn('cluster mesh: a frame that does not parse (the rest of it is dropped)');
  }

  private itemArrived(peer: Peer, item: MeshItem): void {
    switch (item.k) {
      case 'b': return this.broadcastArrived(item.topic, item.data);
      case 's': return this.inbox(item.data);
      case 'q': return void this.answer(peer.node, item);
      case 'p': {
        this.requests.answered(item.id, item.data, item.failed);
      }
    }
  }

  private broadcastArrived(topic: string, data: string): void {
    for (const handler of this.broadcastHandlers.get(topic) ?? []) handler(data);
  }

  /** Answer the requester (its connection now: it may have been replaced meanwhile). */
  private async answer(requester: string, item: Extract<MeshItem, { k: 'q' }>): Promise<void> {
    const responder = this.responders.get(item.topic);
    let data: string;
    let failed = false;
    try {
      if (!responder) throw new Error(`nothing answers ${item.topic} on ${this.node}`);
      data = await responder(item.data);
    } catch (error) {
      failed = true;
      data = error instanceof Error ? error.message : String(error);
    }
    const peer = this.peers.get(requester);
    if (peer) this.push(peer, { k: 'p', id: item.id, failed, data });
  }

  private push(peer: Peer, item: MeshItem): void {
    if (this.closed) return;
    itemFields(item, peer.fields);
    peer.chars += item.data.length;
    this.dirty.add(peer);
    if (peer.chars > MAX_BATCH_CHARS) this.flushPeer(peer);
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const peer of this.dirty) this.flushPeer(peer);
    this.dirty.clear();
  }

  private flushPeer(peer: Peer): void {
    if (peer.fields.length === 0) return;
    const text = peer.fields.join(FIELD_SEPARATOR);
    peer.fields = [];
    peer.chars = 0;
    this.dirty.delete(peer);
    const { socket } = peer;
    if (socket.destroyed) return;
    socket.cork();
    socket.write(frameHeader(text));
    socket.write(text);
    socket.uncork();
  }
}
