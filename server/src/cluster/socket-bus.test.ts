// The workers' socket mesh (socket-bus.ts) over real local sockets, with a stand-in for the primary's
// introductions (workers.ts does the same over IPC): broadcasts, inbox messages in order, requests
// and their failures; a connection without the secret is closed unheard; a worker started again
// under its name takes its place.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { isMeshControl, meshAddress, SocketClusterBus, type MeshControl } from './socket-bus.ts';
import { FIELD_SEPARATOR, frameHeader } from './mesh-frames.ts';

const log = createLogger('silent');
const secret = randomBytes(32).toString('base64url');
const base = `@parley-test-${process.pid}-${randomBytes(4).toString('hex')}`;

/** The primary's part: it answers each worker's 'listening' with the workers listening before it. */
class Introductions {
  private readonly listening = new Map<string, string>();

  channel(): EventEmitter & { send(message: unknown): boolean } {
    const channel = new EventEmitter() as EventEmitter & { send(message: unknown): boolean };
    channel.send = (message: unknown) => {
      if (isMeshControl(message) && message.parleyMesh === 'listening') {
        const peers = [...this.listening].filter(([node]) => node !== message.node).map(([node, address]) => ({ node, address }));
        this.listening.set(message.node, message.address);
        setImmediate(() => channel.emit('message', { parleyMesh: 'peers', peers } satisfies MeshControl));
      }
      return true;
    };
    return channel;
  }
}

const buses: SocketClusterBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.close();
});

async function worker(introductions: Introductions, node: string): Promise<SocketClusterBus> {
  const bus = new SocketClusterBus(node, base, secret, log, introductions.channel() as never);
  buses.push(bus);
  await bus.ready();
  return bus;
}

function collect(bus: SocketClusterBus, topic?: string): string[] {
  const seen: string[] = [];
  if (topic) bus.onBroadcast(topic, (data) => seen.push(data));
  else bus.onInbox((data) => seen.push(data));
  return seen;
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the workers socket mesh', () => {
  it('carries broadcasts to every other worker and sends to one, in the order made', async () => {
    const introductions = new Introductions();
    const first = await worker(introductions, 'w-0');
    const second = await worker(introductions, 'w-1');
    const third = await worker(introductions, 'w-2');
    const heard = [collect(first, 'table'), collect(second, 'table'), collect(third, 'table')];
    const inbox = collect(first);
    third.broadcast('table', 'from the third');
    for (let i = 0; i < 1000; i++) second.send('w-0', `message ${i} — ünïcode`);
    await until(() => inbox.length === 1000 && heard[0]!.length === 1 && heard[1]!.length === 1);
    expect(inbox).toEqual(Array.from({ length: 1000 }, (_, i) => `message ${i} — ünïcode`));
    expect(heard).toEqual([['from the third'], ['from the third'], []]);
  });

  it('answers requests, and carries a refusal back as a failure', async () => {
    const introductions = new Introductions();
    const first = await worker(introductions, 'w-0');
    const second = await worker(introductions, 'w-1');
    first.respond('session-move', async (data) => {
      if (data === 'unknown') throw new Error('item-not-found');
      return `moved ${data}`;
    });
    expect(await second.request('w-0', 'session-move', 's1', 2000)).toBe('moved s1');
    await expect(second.request('w-0', 'session-move', 'unknown', 2000)).rejects.toThrow('item-not-found');
    await expect(first.request('w-1', 'nobody', 'x', 2000)).rejects.toThrow(/nothing answers nobody/);
  });

  it('closes a connection that does not greet with the secret, unheard', async () => {
    const introductions = new Introductions();
    const first = await worker(introductions, 'w-0');
    const inbox = collect(first);
    const intruder = net.connect(meshAddress(base, 'w-0'));
    await new Promise((resolve) => intruder.once('connect', resolve));
    const hello = ['hello', 'not the secret', 'w-9'].join(FIELD_SEPARATOR);
    const message = ['s', 'injected'].join(FIELD_SEPARATOR);
    intruder.write(Buffer.concat([frameHeader(hello), Buffer.from(hello), frameHeader(message), Buffer.from(message)]));
    await new Promise((resolve) => intruder.once('close', resolve));
    expect(inbox).toEqual([]);
  });

  it('lets a worker started again under its name take its place', async () => {
    const introductions = new Introductions();
    const first = await worker(introductions, 'w-0');
    const crashed = await worker(introductions, 'w-1');
    await crashed.close();
    buses.splice(buses.indexOf(crashed), 1);
    const again = await worker(introductions, 'w-1');
    const inbox = collect(again);
    // the first worker knows the new one once its greeting arrived: what it sends after that comes through
    const greeted = collect(first);
    again.send('w-0', 'started again');
    await until(() => greeted.length === 1);
    first.send('w-1', 'to the new one');
    await until(() => inbox.length === 1);
    expect(inbox).toEqual(['to the new one']);
  });
});
