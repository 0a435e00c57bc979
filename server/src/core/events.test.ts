import { describe, expect, it } from 'vitest';
import { detach, EventHub } from './events.ts';

interface Pipelines { stanza: { name: string } }
interface Notifications { happened: { log: string[] } }

describe('EventHub', () => {
  it('runs a pipeline by priority until a handler takes the event', () => {
    const hub = new EventHub<Pipelines, Notifications>();
    const ran: string[] = [];
    hub.hook('stanza', () => void ran.push('low'), -1);
    hub.hook('stanza', (event) => { ran.push('taker'); return event.name === 'mine'; });
    hub.hook('stanza', () => void ran.push('high'), 10);
    expect(hub.fire('stanza', { name: 'mine' })).toBe(true);
    expect(ran).toEqual(['high', 'taker']);
    ran.length = 0;
    expect(hub.fire('stanza', { name: 'other' })).toBe(false);
    expect(ran).toEqual(['high', 'taker', 'low']);
  });

  it('hands back the Promise of a handler that takes the event asynchronously', async () => {
    const hub = new EventHub<Pipelines, Notifications>();
    let done = false;
    hub.hook('stanza', () => (async () => { done = true; })());
    const result = hub.fire('stanza', { name: 'x' });
    expect(result).toBeInstanceOf(Promise);
    await result;
    expect(done).toBe(true);
  });

  it('runs every notification handler in priority order, each asynchronous one awaited before the next', async () => {
    const hub = new EventHub<Pipelines, Notifications>();
    hub.on('happened', async ({ log }) => { await new Promise((resolve) => setTimeout(resolve, 10)); log.push('slow first'); }, 5);
    hub.on('happened', ({ log }) => void log.push('then sync'));
    hub.on('happened', async ({ log }) => void log.push('then async'), -5);
    const event = { log: [] as string[] };
    await hub.emit('happened', event);
    expect(event.log).toEqual(['slow first', 'then sync', 'then async']);
  });

  it('stays synchronous while every handler is', () => {
    const hub = new EventHub<Pipelines, Notifications>();
    hub.on('happened', ({ log }) => void log.push('a'));
    const event = { log: [] as string[] };
    expect(hub.emit('happened', event)).toBeUndefined();
    expect(event.log).toEqual(['a']);
    expect(hub.emit('happened', event)).toBeUndefined();
  });

  it('refuses the same handler twice for one name, and a run keeps the list it started with', () => {
    const hub = new EventHub<Pipelines, Notifications>();
    const handler = ({ log }: { log: string[] }) => {
      log.push('first');
      hub.on('happened', ({ log: later }) => void later.push('added during the run'));
    };
    hub.on('happened', handler);
    expect(() => hub.on('happened', handler)).toThrow(/already registered for 'happened'/);
    const event = { log: [] as string[] };
    void hub.emit('happened', event);
    expect(event.log).toEqual(['first']);
  });

  it('detach: a notification nobody waits for reports a handler that fails later, as no unhandled rejection', async () => {
    const hub = new EventHub<Pipelines, Notifications>();
    hub.on('happened', async () => {
      await Promise.resolve();
      throw new Error('the storage is closed');
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failures: unknown[] = [];
      detach(hub.emit('happened', { log: [] }), (error) => void failures.push(error));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(failures).toEqual([new Error('the storage is closed')]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
