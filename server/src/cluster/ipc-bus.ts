// The cluster bus between the workers of `parley start --workers N` on one machine, through the
// primary process's IPC channels (Node's cluster module): nothing to install, as the embedded
// default promises; NATS (nats-bus.ts) is for nodes on several machines. What a worker sends in one
// turn of the event loop goes to the primary as one IPC message (an array, V8-serialized: the
// primary forks with serialization 'advanced'), which hands each item on to its worker(s) the
// same way (workers.ts). One worker's items stay in order.
import type { BusHandler, BusResponder, ClusterBus } from './bus.ts';
import { PendingBusRequests } from './bus-requests.ts';

/** What crosses the IPC channels. */
export type IpcItem =
  /** broadcast */ | { readonly k: 'b'; readonly topic: string; readonly data: string; readonly from: string }
  /** to a node's inbox */ | { readonly k: 's'; readonly node: string; readonly data: string }
  /** request */ | { readonly k: 'q'; readonly node: string; readonly topic: string; readonly data: string; readonly id: number; readonly from: string }
  /** answer */ | { readonly k: 'p'; readonly node: string; readonly id: number; readonly data: string; readonly failed: boolean };

export interface IpcBatch {
  readonly parleyBus: IpcItem[];
}

export function isIpcBatch(message: unknown): message is IpcBatch {
  return typeof message === 'object' && message !== null && Array.isArray((message as IpcBatch).parleyBus);
}

export class IpcClusterBus implements ClusterBus {
  private outgoing: IpcItem[] = [];
  private flushScheduled = false;
  private readonly broadcastHandlers = new Map<string, BusHandler[]>();
  private readonly responders = new Map<string, BusResponder>();
  private readonly requests = new PendingBusRequests();
  private inbox: BusHandler = () => {};
  private closed = false;
  private readonly listener = (message: unknown) => {
    if (isIpcBatch(message)) for (const item of message.parleyBus) this.receive(item);
  };

  constructor(private readonly node: string, private readonly channel: Pick<NodeJS.Process, 'send' | 'on' | 'off'> = process) {
    if (!channel.send) throw new Error('the IPC cluster bus runs in a worker process (parley start --workers N)');
    channel.on('message', this.listener);
  }

  broadcast(topic: string, data: string): void {
    this.push({ k: 'b', topic, data, from: this.node });
  }

  onBroadcast(topic: string, handler: BusHandler): void {
    const handlers = this.broadcastHandlers.get(topic) ?? [];
    handlers.push(handler);
    this.broadcastHandlers.set(topic, handlers);
  }

  send(node: string, data: string): void {
    this.push({ k: 's', node, data });
  }

  onInbox(handler: BusHandler): void {
    this.inbox = handler;
  }

  request(node: string, topic: string, data: string, timeoutMs: number): Promise<string> {
    return this.requests.start(node, topic, timeoutMs, (id) => this.push({ k: 'q', node, topic, data, id, from: this.node }));
  }

  respond(topic: string, responder: BusResponder): void {
    this.responders.set(topic, responder);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    this.channel.off('message', this.listener);
    this.requests.closed();
  }

  private receive(item: IpcItem): void {
    switch (item.k) {
      case 'b':
        if (item.from === this.node) return;
        for (const handler of this.broadcastHandlers.get(item.topic) ?? []) handler(item.data);
        return;
      case 's':
        this.inbox(item.data);
        return;
      case 'q':
        void this.answer(item);
        return;
      case 'p': {
        this.requests.answered(item.id, item.data, item.failed);
      }
    }
  }

  private async answer(item: Extract<IpcItem, { k: 'q' }>): Promise<void> {
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
    this.push({ k: 'p', node: item.from, id: item.id, data, failed });
  }

  private push(item: IpcItem): void {
    if (this.closed) return;
    this.outgoing.push(item);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outgoing.length === 0 || this.closed) return;
    const batch: IpcBatch = { parleyBus: this.outgoing };
    this.outgoing = [];
    this.channel.send!(batch);
  }
}
