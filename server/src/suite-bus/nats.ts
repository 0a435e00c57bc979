// The suite's message bus over NATS (the `nats` client): subscribes to `<prefix>.>` and applies each
// message (suite-bus/suite-messages.ts) in arrival order. A message sent as a request gets a reply,
// {"ok":true} or {"error":"…"}, so the suite (and the tests) can tell when a change has taken effect.
// The client reconnects on its own for as long as the server runs.
import { connect, type NatsConnection, type Subscription } from 'nats';
import { ZodError } from 'zod';
import type { Logger } from '../logger.ts';
import type { AdminService } from '../admin/service.ts';
import { AdminError } from '../admin/errors.ts';
import { applySuiteMessage, isSuiteMessageType } from './suite-messages.ts';

export interface NatsBusOptions {
  servers: string[];
  subjectPrefix: string;
  user?: string | undefined;
  pass?: string | undefined;
  token?: string | undefined;
}

/** Largest payload taken from the bus (a user with a photo fits). */
const MAX_PAYLOAD_BYTES = 512 * 1024;

export class NatsSuiteBus {
  /** Resolves once connected and subscribed (the server does not wait for it: the bus may be down at start). */
  readonly ready: Promise<void>;
  private connection: NatsConnection | null = null;
  private consuming: Promise<void> = Promise.resolve();
  private closed = false;

  /** `queue`: a NATS queue group, so that one of the cluster's nodes takes each message. */
  constructor(private readonly admin: AdminService, private readonly log: Logger, private readonly options: NatsBusOptions,
    private readonly queue?: string) {
    this.ready = this.open();
    this.ready.catch((error: unknown) => log.error({ err: error }, 'suite bus: cannot connect'));
  }

  private async open(): Promise<void> {
    const { options, log } = this;
    const connection = await connect({
      servers: options.servers,
      name: 'parley',
      user: options.user,
      pass: options.pass,
      token: options.token,
      // a bus that is down at start is waited for, and a lost one reconnected, for as long as the server runs
      waitOnFirstConnect: true,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
    if (this.closed) {
      await connection.close();
      throw new Error('stopped before the suite bus was reached');
    }
    this.connection = connection;
    void (async () => {
      for await (const status of connection.status()) log.info({ event: 'nats', type: status.type, data: String(status.data) }, 'suite bus status');
    })().catch(() => {});
    const subject = `${options.subjectPrefix}.>`;
    this.consuming = this.consume(connection.subscribe(subject, this.queue ? { queue: this.queue } : undefined));
    // a round trip: the subscription is registered with the NATS server before `ready` resolves
    await connection.flush();
    log.info({ event: 'nats', servers: options.servers, subjects: subject }, 'listening to the suite bus');
  }

  private async consume(subscription: Subscription): Promise<void> {
    for await (const message of subscription) {
      const type = message.subject.slice(this.options.subjectPrefix.length + 1);
      const answer = await this.apply(type, message.data);
      if (message.reply) message.respond(new TextEncoder().encode(JSON.stringify(answer)));
    }
  }

  private async apply(type: string, data: Uint8Array): Promise<{ ok: true } | { error: string }> {
    const log = this.log;
    if (!isSuiteMessageType(type)) {
      log.debug({ type }, 'suite bus: message type not handled');
      return { error: `unknown message type ${type}` };
    }
    if (data.byteLength > MAX_PAYLOAD_BYTES) return { error: 'payload too large' };
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder().decode(data));
    } catch {
      log.warn({ type }, 'suite bus: payload is not JSON');
      return { error: 'payload is not JSON' };
    }
    try {
      await applySuiteMessage(this.admin, type, payload);
      return { ok: true };
    } catch (error) {
      if (error instanceof ZodError) {
        const text = error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ');
        log.warn({ type, issues: text }, 'suite bus: invalid payload');
        return { error: `invalid payload: ${text}` };
      }
      if (error instanceof AdminError) {
        log.warn({ type, err: error.message }, 'suite bus: change refused');
        return { error: error.message };
      }
      log.error({ type, err: error }, 'suite bus: message failed');
      return { error: 'internal error' };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    if (!connection) return;
    await connection.drain().catch(() => connection.close());
    await this.consuming.catch(() => {});
  }
}
