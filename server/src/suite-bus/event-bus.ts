// A small typed in-process event bus for suite events, and the relay that brings events raised by
// other processes on the same data folder (the `parley` CLI) into a running server: they are
// appended to an event log in the database, which the server polls.
import type { SuiteEventLog } from './event-log.ts';
import {
  suiteEventSchema, type SuiteEvent, type SuiteEventOf, type SuiteEventPublisher, type SuiteEventType,
} from '../directory/suite-events.ts';

export type { SuiteEventPublisher };

export type SuiteEventListener = (event: SuiteEvent) => void | Promise<void>;

export class SuiteEventBus implements SuiteEventPublisher {
  private readonly listeners: SuiteEventListener[] = [];
  /** Events are handled one at a time, in order: a removal never overtakes the creation before it. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (error: unknown, event: SuiteEvent) => void = () => {}) {}

  /** Listen to every event; returns a function that stops listening. */
  onAny(listener: SuiteEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at !== -1) this.listeners.splice(at, 1);
    };
  }

  on<T extends SuiteEventType>(type: T, listener: (event: SuiteEventOf<T>) => void | Promise<void>): () => void {
    return this.onAny((event) => (event.type === type ? listener(event as SuiteEventOf<T>) : undefined));
  }

  /** Resolves once every listener has handled the event (and the ones queued before it). */
  publish(event: SuiteEvent): Promise<void> {
    const run = this.queue.then(async () => {
      for (const listener of [...this.listeners]) {
        try {
          await listener(event);
        } catch (error) {
          this.onError(error, event);
        }
      }
    });
    this.queue = run;
    return run;
  }

  /** Waits for the events published so far to be handled. */
  idle(): Promise<void> {
    return this.queue;
  }
}

/** The CLI's publisher: the event goes to the log, for the running server (if any) to pick up. */
export class EventLogPublisher implements SuiteEventPublisher {
  constructor(private readonly log: SuiteEventLog) {}

  async publish(event: SuiteEvent): Promise<void> {
    await this.log.append(JSON.stringify(event), Date.now());
  }
}

/** Polls the event log and republishes new entries on the bus; starts after the newest entry. */
export class EventLogRelay {
  private lastId = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(private readonly log: SuiteEventLog, private readonly bus: SuiteEventBus, private readonly intervalMs: number,
    private readonly onBadEntry: (text: string) => void = () => {}) {}

  async start(): Promise<void> {
    this.lastId = await this.log.lastId();
    this.timer = setInterval(() => { this.poll().catch(() => {}); }, this.intervalMs); // a closing store: next tick or never
    this.timer.unref();
  }

  poll(): Promise<void> {
    this.polling ??= (async () => {
      try {
        for (const entry of await this.log.since(this.lastId)) {
          this.lastId = entry.id;
          let event: SuiteEvent;
          try {
            event = suiteEventSchema.parse(JSON.parse(entry.event));
          } catch {
            this.onBadEntry(entry.event);
            continue;
          }
          await this.bus.publish(event);
        }
      } finally {
        this.polling = null;
      }
    })();
    return this.polling;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
