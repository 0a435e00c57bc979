// The room scenarios of `npm run bench` (issue 13): one room whose occupants all talk at once
// (occupant deliveries per second: every message reaches every occupant; p99 from send to
// delivery), and memory per idle room. The room archive on (muc#roomconfig_enablelogging, the
// default) or off.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchClient, type BenchTarget } from './bench-client.ts';
import { BENCH_DOMAIN, BENCH_PASSWORD, type BenchServer } from './server-process.ts';

export const ROOM_SERVICE = `conference.${BENCH_DOMAIN}`;

/** Server options for the room scenarios: no per-occupant rate limit, enough rooms per user. */
export function roomServerConfig(archive: boolean): Record<string, unknown> {
  return { modules: { muc: { logByDefault: archive, messagesPerSecond: 1e9, messageBurst: 1e9, maxRoomsPerUser: 1e6, maxOccupants: 10_000 } } };
}

export interface RoomThroughputResult {
  archive: boolean;
  occupants: number;
  /** Groupchat messages received by occupants per second. */
  deliveriesPerSecond: number;
  deliveriesPerCpuSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function target(server: BenchServer): BenchTarget {
  return { host: '127.0.0.1', c2sPort: server.ports.c2s, c2sTlsPort: server.ports.c2sTls, httpPort: server.ports.http, domain: BENCH_DOMAIN };
}

const instantRoom = (room: string, persistent: boolean) => `<iq type='set' id='config' to='${room}'><query xmlns='http://jabber.org/protocol/muc#owner'>`
  + `<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_persistentroom'><value>${persistent ? 1 : 0}</value></field></x></query></iq>`;

/** Waits until `client` has received text matching `pattern` (the bench clients work on raw text). */
function waitFor(client: BenchClient, pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const previous = client.onData;
    client.onData = (text) => {
      seen += text;
      if (pattern.test(seen)) {
        client.onData = previous;
        resolve();
      } else if (seen.length > 65536) seen = seen.slice(-4096);
    };
  });
}

/**
 * `occupants` clients in one room; each keeps `inFlight` messages of its own on the way (its own
 * message coming back from the room sends the next one). Every groupchat message received counts.
 */
export async function roomThroughput(server: BenchServer, options: { occupants: number; inFlight: number; warmupSeconds: number; seconds: number; archive: boolean }): Promise<RoomThroughputResult> {
  const t = target(server);
  const room = `load@${ROOM_SERVICE}`;
  const clients: BenchClient[] = [];
  for (let i = 0; i < options.occupants; i++) {
    const client = new BenchClient(t, 'tcp');
    await client.login(i % 2 ? `receiver${i >> 1}` : `sender${i >> 1}`, BENCH_PASSWORD, 'bench');
    const joined = waitFor(client, /<subject/);
    client.send(`<presence to='${room}/n${i}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`);
    await joined;
    if (i === 0) {
      const configured = waitFor(client, /id="config"/);
      client.send(instantRoom(room, true));
      await configured;
    }
    clients.push(client);
  }
  let measuring = false;
  let stopped = false;
  let delivered = 0;
  const latencies = new Float64Array(8_000_000);
  let latencyCount = 0;
  const started = process.hrtime.bigint();
  const nowMicros = () => Number((process.hrtime.bigint() - started) / 1000n);
  const sendOne = (i: number) => {
    if (!stopped) clients[i]!.send(`<message to='${room}' type='groupchat' id='${nowMicros()}'><body>Hello room, this is a message from the benchmark.</body></message>`);
  };
  const pattern = /<message [^>]*?from="load@[^/"]+\/n(\d+)"[^>]*?id="(\d+)"|<message [^>]*?id="(\d+)"[^>]*?from="load@[^/"]+\/n(\d+)"/g;
  clients.forEach((client, i) => {
    let rest = '';
    client.onData = (text) => {
      let data = rest + text;
      const end = data.lastIndexOf('</message>');
      if (end === -1) {
        rest = data;
        return;
      }
      rest = data.slice(end + 10);
      data = data.slice(0, end + 10);
      pattern.lastIndex = 0;
      const now = nowMicros();
      let match: RegExpExecArray | null;
      while ((match = pattern.exec(data)) !== null) {
        const sender = Number(match[1] ?? match[4]);
        const sent = Number(match[2] ?? match[3]);
        if (measuring) {
          delivered++;
          if (latencyCount < latencies.length) latencies[latencyCount++] = (now - sent) / 1000;
        }
        if (sender === i) sendOne(i);
      }
    };
  });
  for (let i = 0; i < clients.length; i++) for (let k = 0; k < options.inFlight; k++) sendOne(i);
  await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000));
  measuring = true;
  const measureStart = performance.now();
  const cpuStart = server.cpuSeconds();
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - measureStart) / 1000;
  const cpu = server.cpuSeconds() - cpuStart;
  stopped = true;
  for (const client of clients) client.close();
  const sorted = latencies.subarray(0, latencyCount).sort();
  return {
    archive: options.archive, occupants: options.occupants,
    deliveriesPerSecond: Math.round(delivered / elapsed), deliveriesPerCpuSecond: Math.round(delivered / cpu),
    p50Ms: sorted[Math.floor(latencyCount * 0.5)] ?? Number.NaN, p99Ms: sorted[Math.floor(latencyCount * 0.99)] ?? Number.NaN,
  };
}

export interface IdleRoomsResult {
  rooms: number;
  /** Rooms left by their creator (persistent, stored, not held in memory). */
  bytesPerStoredRoom: number;
  /** Rooms whose creator stays in them (one idle occupant each). */
  bytesPerOccupiedRoom: number;
}

/** Server RSS per idle persistent room: `rooms` rooms created and configured by one user, kept occupied, then left. */
export async function idleRooms(server: BenchServer, rooms: number): Promise<IdleRoomsResult> {
  const client = new BenchClient(target(server), 'tcp');
  await client.login('idle', BENCH_PASSWORD, 'rooms');
  await settle();
  const baseline = server.rssBytes();
  for (let i = 0; i < rooms; i++) {
    const room = `idle${i}@${ROOM_SERVICE}`;
    const joined = waitFor(client, /<subject/);
    client.send(`<presence to='${room}/owner'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
    await joined;
    const configured = waitFor(client, /id="config"/);
    client.send(instantRoom(room, true));
    await configured;
  }
  await settle();
  const occupied = server.rssBytes();
  for (let i = 0; i < rooms; i++) client.send(`<presence to='idle${i}@${ROOM_SERVICE}/owner' type='unavailable'/>`);
  const left = waitFor(client, new RegExp(`idle${rooms - 1}@[^"]+/owner" type="unavailable"|type="unavailable"[^>]*from="idle${rooms - 1}@`));
  await left;
  await settle();
  const stored = server.rssBytes();
  client.close();
  return { rooms, bytesPerOccupiedRoom: Math.round((occupied - baseline) / rooms), bytesPerStoredRoom: Math.round((stored - baseline) / rooms) };
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1500));
}

/** Heap a room keeps alive (bench/room-memory.ts in a node with --expose-gc), without and with one idle occupant. */
export function roomHeap(rooms = 10_000): { rooms: number; heapPerRoom: number; heapPerOccupiedRoom: number } {
  const script = fileURLToPath(new URL('./room-memory.ts', import.meta.url));
  const loader = fileURLToPath(new URL('../server/bin/typescript-loader.js', import.meta.url));
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', loader, script, String(rooms)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`room-memory.ts failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { rooms: number; heapPerRoom: number; heapPerOccupiedRoom: number };
}
