// One typed event hub (issue 10): the names a server's parts cooperate through, each declared in an
// event map (server-events.ts) as one of two kinds:
// - a pipeline (stanza hooks): handlers run by priority until one takes the event (returns true or a
//   Promise), like a Prosody module:hook handler that returns a value;
// - a notification: every handler runs, by priority, each asynchronous one awaited before the next.
// Handlers take one event object. Registering the same handler twice for one name throws.
export type Awaitable = void | Promise<void>;

/**
 * Asynchronous work nobody waits for (a notification emitted from a callback, a lookup's follow-up):
 * its failure goes to `failed` (a log line) instead of becoming an unhandled rejection — such as a
 * handler still querying the storage when the server stops and closes it.
 */
export function detach(work: unknown, failed: (error: unknown) => void): void {
  if (work instanceof Promise) work.catch(failed);
}

/** Returns false/undefined when it did not take the event, true when it did, a Promise when it does so asynchronously. */
export type PipelineHandler<E> = (event: E) => boolean | void | Promise<void>;
export type NotificationHandler<E> = (event: E) => unknown;

interface Registered<H> {
  readonly priority: number;
  readonly handler: H;
}

/**
 * Handlers by name, highest priority first (registration order among equals). Each registration
 * replaces the array, so a run in progress keeps the list it started with.
 */
class HandlerLists<H> {
  private readonly lists = new Map<string, ReadonlyArray<Registered<H>>>();

  add(name: string, handler: H, priority: number): void {
    const list = this.lists.get(name) ?? [];
    if (list.some((entry) => entry.handler === handler)) throw new Error(`this handler is already registered for '${name}'`);
    const next = [...list, { priority, handler }];
    // Array.prototype.sort is stable: equal priorities keep their registration order
    next.sort((a, b) => b.priority - a.priority);
    this.lists.set(name, next);
  }

  remove(name: string, handler: H): void {
    const list = this.lists.get(name);
    if (!list) return;
    const next = list.filter((entry) => entry.handler !== handler);
    if (next.length) this.lists.set(name, next);
    else this.lists.delete(name);
  }

  get(name: string): ReadonlyArray<Registered<H>> | undefined {
    return this.lists.get(name);
  }
}

export class EventHub<Pipelines extends object, Notifications extends object> {
  private readonly pipelines = new HandlerLists<PipelineHandler<never>>();
  private readonly notifications = new HandlerLists<NotificationHandler<never>>();

  hook<K extends keyof Pipelines & string>(name: K, handler: PipelineHandler<Pipelines[K]>, priority = 0): void {
    this.pipelines.add(name, handler as PipelineHandler<never>, priority);
  }

  on<K extends keyof Notifications & string>(name: K, handler: NotificationHandler<Notifications[K]>, priority = 0): void {
    this.notifications.add(name, handler as NotificationHandler<never>, priority);
  }

  off<K extends keyof Notifications & string>(name: K, handler: NotificationHandler<Notifications[K]>): void {
    this.notifications.remove(name, handler as NotificationHandler<never>);
  }

  /** Whether anything listens (lets a caller skip building an event object nobody reads). */
  hasHooks(name: keyof Pipelines & string): boolean {
    return this.pipelines.get(name) !== undefined;
  }

  listens(name: keyof Notifications & string): boolean {
    return this.notifications.get(name) !== undefined;
  }

  /** Run a pipeline: false when no handler took the event, true or a Promise when one did. */
  fire<K extends keyof Pipelines & string>(name: K, event: Pipelines[K]): boolean | Promise<void> {
    const list = this.pipelines.get(name) as ReadonlyArray<Registered<PipelineHandler<Pipelines[K]>>> | undefined;
    if (!list) return false;
    for (let i = 0; i < list.length; i++) {
      const result = list[i]!.handler(event);
      if (result) return result;
    }
    return false;
  }

  /**
   * Run a notification's handlers in priority order. Synchronous while the handlers are: returns a
   * Promise only once one of them does (then the rest run after it, in order).
   */
  emit<K extends keyof Notifications & string>(name: K, event: Notifications[K]): Awaitable {
    const list = this.notifications.get(name) as ReadonlyArray<Registered<NotificationHandler<Notifications[K]>>> | undefined;
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      const result = list[i]!.handler(event);
      if (result instanceof Promise) return finish(list, i + 1, result, event);
    }
  }
}

async function finish<E>(list: ReadonlyArray<Registered<NotificationHandler<E>>>, from: number, pending: Promise<unknown>,
  event: E): Promise<void> {
  await pending;
  for (let i = from; i < list.length; i++) await list[i]!.handler(event);
}
