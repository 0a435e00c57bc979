// XEP-0215 external service discovery: the configured STUN/TURN servers, TURN entries with
// short-lived TURN REST API credentials, and a real TURN allocation on Debian's coturn with them
// (turnutils_uclient); wrong credentials are refused by coturn, bad requests by the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login } from './helpers/clients.ts';
import { iq, iqError, xml, type LoggedInClient } from './helpers/im.ts';
import { startCoturn, turnAllocation, type Coturn } from './helpers/coturn.ts';

const NS_EXTDISCO = 'urn:xmpp:extdisco:2';
const SECRET = 'a-shared-turn-secret-for-tests-0123';

let coturn: Coturn;
let server: TestServer;
let alice: LoggedInClient;

beforeAll(async () => {
  coturn = await startCoturn(SECRET, 'example.com');
  server = await startServer({
    users: { 'alice@example.com': 'alice password' },
    config: {
      modules: {
        'external-services': {
          turnSecret: SECRET, credentialSeconds: 600,
          services: [
            { type: 'stun', host: '127.0.0.1', port: coturn.port },
            { type: 'turn', host: '127.0.0.1', port: coturn.port, transport: 'udp' },
            { type: 'turn', host: '127.0.0.1', port: coturn.port, transport: 'tcp' },
          ],
        },
      },
    },
  });
  alice = await login(server, 'alice@example.com', 'alice password');
}, 60_000);
afterAll(async () => {
  await alice?.stop();
  await server?.stop();
  await coturn?.stop();
});

describe('XEP-0215 §3.2 services', () => {
  it('lists STUN without and TURN with credentials (username expiry:user, expires in credentialSeconds)', async () => {
    const before = Math.floor(Date.now() / 1000);
    const services = (await iq(alice, 'get', xml('services', { xmlns: NS_EXTDISCO }), 'example.com')).getChild('services', NS_EXTDISCO)!;
    const entries = services.getChildren('service');
    expect(entries.map((entry) => `${entry.attrs.type}/${entry.attrs.transport}`)).toEqual(['stun/udp', 'turn/udp', 'turn/tcp']);
    expect(entries[0]!.attrs.username).toBeUndefined();
    const turn = entries[1]!;
    expect(turn.attrs).toMatchObject({ host: '127.0.0.1', port: String(coturn.port), restricted: '1', password: expect.any(String) });
    const [expiry, user] = turn.attrs.username!.split(/:(.*)/s);
    expect(user).toBe('alice@example.com');
    expect(Number(expiry) - before).toBeGreaterThanOrEqual(599);
    expect(Number(expiry) - before).toBeLessThanOrEqual(602);
    expect(Date.parse(turn.attrs.expires!) / 1000).toBe(Number(expiry));
    const onlyStun = (await iq(alice, 'get', xml('services', { xmlns: NS_EXTDISCO, type: 'stun' }), 'example.com')).getChild('services', NS_EXTDISCO)!;
    expect(onlyStun.getChildren('service').map((entry) => entry.attrs.type)).toEqual(['stun']);
  });

  it('the issued credentials make a TURN allocation on coturn; altered ones are refused', async () => {
    const services = (await iq(alice, 'get', xml('services', { xmlns: NS_EXTDISCO, type: 'turn' }), 'example.com')).getChild('services', NS_EXTDISCO)!;
    const { username, password } = services.getChildren('service')[0]!.attrs;
    const allocated = await turnAllocation(coturn.port, username!, password!);
    // both relayed clients sent and got their messages through the allocations
    expect(allocated.code, allocated.output).toBe(0);
    expect(allocated.output).toMatch(/tot_send_msgs=6, tot_recv_msgs=6/);
    expect(allocated.output).toMatch(/Total lost packets 0 /);
    // another user's name with alice's password: coturn's HMAC check fails (401), nothing is relayed
    const forged = await turnAllocation(coturn.port, username!.replace('alice', 'mallory'), password!);
    expect(forged.output).not.toMatch(/tot_recv_msgs=[1-9]/);
    expect(forged.output, forged.output).toMatch(/401|Unauthorized|cannot|error/i);
    expect(coturn.process.log()).toMatch(/401/);
  }, 60_000);
});

describe('XEP-0215 §3.3 credentials', () => {
  it('answers credentials for a TURN service; a STUN one, an unknown host, no service are refused', async () => {
    const answer = (await iq(alice, 'get', xml('credentials', { xmlns: NS_EXTDISCO }, xml('service', { type: 'turn', host: '127.0.0.1' })), 'example.com'))
      .getChild('credentials', NS_EXTDISCO)!;
    expect(answer.getChild('service')!.attrs).toMatchObject({ type: 'turn', username: expect.stringMatching(/^\d+:alice@example\.com$/) });
    expect((await iqError(alice, 'get', xml('credentials', { xmlns: NS_EXTDISCO }, xml('service', { type: 'stun', host: '127.0.0.1' })), 'example.com')).condition)
      .toBe('item-not-found');
    expect((await iqError(alice, 'get', xml('credentials', { xmlns: NS_EXTDISCO }, xml('service', { type: 'turn', host: 'turn.elsewhere' })), 'example.com')).condition)
      .toBe('item-not-found');
    expect((await iqError(alice, 'get', xml('credentials', { xmlns: NS_EXTDISCO }), 'example.com')).condition).toBe('bad-request');
  });
});
