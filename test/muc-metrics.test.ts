// The MUC gauges of /metrics (issue 17): rooms with occupants on this node and their occupants, per
// service, moving as users enter and leave rooms.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, online, received, stopAll, xml } from './helpers/im.ts';
import { SERVICE, createRoom, isPresenceOf, join, roomJid } from './helpers/muc.ts';
import { sample, scrape } from './helpers/metrics.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ config: { metrics: { enabled: true } } });
});
afterAll(() => server.stop());

const figures = async () => {
  const text = await scrape(server);
  return { rooms: sample(text, 'parley_muc_rooms', { service: SERVICE }), occupants: sample(text, 'parley_muc_occupants', { service: SERVICE }) };
};

it('counts live rooms and occupants as users enter and leave', async () => {
  expect(await figures()).toEqual({ rooms: 0, occupants: 0 });
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const [alice, bob] = await Promise.all([online(server, aliceJid!), online(server, bobJid!)]);
  const tea = roomJid('tea');
  const coffee = roomJid('coffee');
  await createRoom(alice, tea, 'Alice');
  expect(await figures()).toEqual({ rooms: 1, occupants: 1 });
  await join(bob, tea, 'Bob');
  await createRoom(bob, coffee, 'Bob');
  expect(await figures()).toEqual({ rooms: 2, occupants: 3 });
  // Bob leaves the tea room: it keeps Alice; the coffee room goes with its last occupant
  const left = received(alice, isPresenceOf(`${tea}/Bob`, 'unavailable'));
  await bob.xmpp.send(xml('presence', { to: `${tea}/Bob`, type: 'unavailable' }));
  await left;
  expect(await figures()).toEqual({ rooms: 2, occupants: 2 });
  await stopAll(bob);
  await expect.poll(figures).toEqual({ rooms: 1, occupants: 1 });
  await stopAll(alice);
  await expect.poll(figures).toEqual({ rooms: 0, occupants: 0 });
});
