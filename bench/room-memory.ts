// Heap per room object (run by bench/rooms.ts in a node with --expose-gc): persistent rooms as the
// MUC service holds them in memory, without and with one idle occupant (its join presence kept).
// RSS from outside the server (bench/rooms.ts idleRooms) also counts the allocator's slack; this
// counts what a room keeps alive.
import { JID, xml } from '@parley/shared';
import { Room, type RoomServices } from '../server/src/components/muc/room.ts';
import { defaultConfig } from '../server/src/components/muc/room-config.ts';
import { mucOptions } from '../server/src/components/muc/options.ts';

const count = Number(process.argv[2] ?? 10_000);
const options = mucOptions.parse({});
const limits = { maxOccupants: options.maxOccupants, maxHistory: options.maxHistory, defaultHistory: options.defaultHistory, logByDefault: true };
const services = { options, limits, secret: 'k'.repeat(32), serviceAdmins: new Set<string>(), emptied() {} } as unknown as RoomServices;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const rooms: Room[] = [];
gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < count; i++) {
  rooms.push(new Room(new JID(`room${i}`, 'conference.bench.local'), {
    config: { ...defaultConfig(limits), persistent: true, name: `Room ${i}` }, subject: { text: 'the subject', nick: 'owner' },
    created: Date.now(), affiliations: { [`owner${i}@bench.local`]: { affiliation: 'owner' } },
  }, services));
}
gc();
const empty = process.memoryUsage().heapUsed;
for (let i = 0; i < count; i++) {
  const room = rooms[i]!;
  const occupant = room.newOccupant('owner', 'owner', `owner${i}@bench.local`, 'moderator');
  room.addSession(occupant, `owner${i}@bench.local/desk`, xml('presence', { to: `room${i}@conference.bench.local/owner`, from: `owner${i}@bench.local/desk` },
    xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
    xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'https://bench.local', ver: 'lWpWNgqtfynY+MxupmhOr2LZqOg=' })));
}
gc();
const occupied = process.memoryUsage().heapUsed;
console.log(JSON.stringify({ rooms: count, heapPerRoom: Math.round((empty - before) / count), heapPerOccupiedRoom: Math.round((occupied - before) / count) }));
