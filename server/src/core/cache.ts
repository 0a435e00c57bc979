// Caches of values that live in a store (avatar hashes, archiving preferences), behind one interface:
// local to this process now; with several nodes, a change made on one node is announced as
// 'cache-invalidated' on the hub, which the cluster bus will carry to the others.
import type { ServerHub } from './server-events.ts';

export interface Cache<V> {
  get(key: string): V | undefined;
  /** Keep a value this node read or wrote; other nodes drop their copy. */
  set(key: string, value: V): void;
  /** Forget a value here and on other nodes (the store changed). */
  delete(key: string): void;
}

class LocalCache<V> implements Cache<V> {
  readonly values = new Map<string, V>();

  constructor(private readonly name: string, private readonly caches: LocalCaches) {}

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  set(key: string, value: V): void {
    this.values.set(key, value);
    this.caches.changed(this.name, key);
  }

  delete(key: string): void {
    this.values.delete(key);
    this.caches.changed(this.name, key);
  }
}

/** This node's caches by name. */
export class LocalCaches {
  private readonly caches = new Map<string, LocalCache<unknown>>();

  constructor(private readonly hub: ServerHub, readonly node: string) {
    hub.on('cache-invalidated', (event) => {
      if (event.node !== this.node) this.caches.get(event.cache)?.values.delete(event.key);
    });
  }

  open<V>(name: string): Cache<V> {
    let cache = this.caches.get(name);
    if (!cache) {
      cache = new LocalCache<unknown>(name, this);
      this.caches.set(name, cache);
    }
    return cache as Cache<V>;
  }

  changed(cache: string, key: string): void {
    void this.hub.emit('cache-invalidated', { cache, key, node: this.node });
  }
}
