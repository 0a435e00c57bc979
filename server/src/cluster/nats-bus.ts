// The cluster bus over NATS (the `nats` client, Debian's nats-server): broadcasts on
// `<prefix>.all.<topic>`, a node's inbox on `<prefix>.node.<node>`, requests on
// `<prefix>.req.<node>.<topic>`. What one turn of the event loop sends to a node leaves as one NATS
// message (joined with NUL, which XML never contains: XML 1.0 §2.2), so a busy router pays one
// publish per node and turn, not one per stanza. NATS keeps one publisher's messages in order.
import { connect, headers, type Msg, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from '../logger.ts';
import { BusRequestError, type BusHandler, type BusResponder, type ClusterBus } from './bus.ts';

export interface NatsBusOptions {
  servers: string[];
  subjectPrefix: string;
  user?: string | undefined;
  pass?: string | undefined;
  token?: string | undefined;
}

const SEPARATOR = '\u0000';
/** A batch is sent before it grows past this (NATS's default max_payload is 1 MB). */
const MAX_BATCH_CHARS = 256 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class NatsClusterBus implements ClusterBus {
  private readonly batches = new Map<string, string[]>();
  private batchChars = 0;
  private flushScheduled = false;
  private inbox: BusHandler | null = null;
  private readonly subscriptions: Subscription[] = [];

  private constructor(private readonly connection: NatsConnection, private readonly node: string,
    private readonly prefix: string, private readonly log: Logger) {}

  static async connect(node: string, options: NatsBusOptions, log: Logger): Promise<NatsClusterBus> {
    const connection = await connect({
      servers: options.servers, name: `parley ${node}`, user: options.user, pass: options.pass, token: options.token,
      reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500,
    });
    void (async () => {
      for await (const status of connection.status()) log.info({ event: 'nats', type: status.type }, 'cluster bus status');
    })().catch(() => {});
    return new NatsClusterBus(connection, node, options.subjectPrefix, log);
  }

  broadcast(topic: string, data: string): void {
    this.flush(); // one sender's messages stay in order across subjects (a table change after a delivery)
    this.connection.publish(`${this.prefix}.all.${topic}`, encoder.encode(data));
  }

  onBroadcast(topic: string, handler: BusHandler): void {
    this.listen(this.connection.subscribe(`${this.prefix}.all.${topic}`), (message) => handler(decoder.decode(message.data)));
  }

  send(node: string, data: string): void {
    let batch = this.batches.get(node);
    if (!batch) this.batches.set(node, batch = []);
    batch.push(data);
    this.batchChars += data.length;
    if (this.batchChars > MAX_BATCH_CHARS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  onInbox(handler: BusHandler): void {
    this.inbox = handler;
    this.listen(this.connection.subscribe(`${this.prefix}.node.${this.node}`), (message) => {
      for (const part of decoder.decode(message.data).split(SEPARATOR)) this.inbox!(part);
    });
  }

  async request(node: string, topic: string, data: string, timeoutMs: number): Promise<string> {
    this.flush(); // what was sent before the request arrives before it
    try {
      const reply = await this.connection.request(`${this.prefix}.req.${node}.${topic}`, encoder.encode(data), { timeout: timeoutMs });
      const text = decoder.decode(reply.data);
      if (reply.headers?.get('parley-error')) throw new BusRequestError(text);
      return text;
    } catch (error) {
      if (error instanceof BusRequestError) throw error;
      throw new BusRequestError(`${node} did not answer ${topic}: ${(error as Error).message}`);
    }
  }

  respond(topic: string, responder: BusResponder): void {
    this.listen(this.connection.subscribe(`${this.prefix}.req.${this.node}.${topic}`), (message) => void this.answer(message, responder));
  }

  private async answer(message: Msg, responder: BusResponder): Promise<void> {
    let answer: string;
    let failed = false;
    try {
      answer = await responder(decoder.decode(message.data));
    } catch (error) {
      failed = true;
      answer = error instanceof Error ? error.message : String(error);
    }
    this.flush(); // deliveries made while answering go before the answer
    if (!failed) return void message.respond(encoder.encode(answer));
    const marked = headers();
    marked.set('parley-error', '1');
    message.respond(encoder.encode(answer), { headers: marked });
  }

  async ready(): Promise<void> {
    await this.connection.flush();
  }

  async close(): Promise<void> {
    this.flush();
    await this.connection.drain().catch(() => this.connection.close());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batches.size === 0) return;
    for (const [node, batch] of this.batches) {
      this.connection.publish(`${this.prefix}.node.${node}`, encoder.encode(batch.join(SEPARATOR)));
    }
    this.batches.clear();
    this.batchChars = 0;
  }

  /** Handlers run in arrival order; one that throws is logged and the next message goes on. */
  private listen(subscription: Subscription, handle: (message: Msg) => void): void {
    this.subscriptions.push(subscription);
    void (async () => {
      for await (const message of subscription) {
        try {
          handle(message);
        } catch (error) {
          this.log.error({ err: error, subject: message.subject }, 'cluster bus: a message failed');
        }
      }
    })();
  }
}
