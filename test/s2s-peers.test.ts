// Federation with real peers (Debian's Prosody 0.12 and ejabberd 23.01), each on its own loopback
// address and domain, all found through SRV records on the test DNS server (test/helpers/federation.ts).
// Both ways with each: messages, presence subscriptions up to 'both' with presence exchanged, ping,
// version and vCard. Twice: dialback on self-signed certificates (XEP-0220), and SASL EXTERNAL on
// certificates of a test CA that every server trusts, with dialback refused (XEP-0178).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient, type ServerPorts } from './helpers/clients.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { PARLEY_ADDRESS, PEERS, patient, peerZone, startFederation, type Federation, type PeerKind } from './helpers/federation.ts';
import type { Element } from '@xmpp/xml';

const DOMAIN = 'parley.example';

for (const auth of ['dialback', 'certificates'] as const) {
  describe(`s2s with Prosody and ejabberd (${auth})`, () => {
    let net: Federation;
    let parley: TestServer;
    const clients: LoggedInClient[] = [];

    beforeAll(async () => {
      net = await startFederation({ peers: ['prosody', 'ejabberd'], auth });
      parley = await startServer({
        domains: [DOMAIN],
        users: Object.fromEntries(['alice', 'anna', 'amy', 'ada'].map((name) => [`${name}@${DOMAIN}`, 'pw'])),
        // the CA's certificate for parley.example in certs/, as an admin would drop it (SASL EXTERNAL path)
        prepare: async (dataDir) => void (net.ca && (await net.ca.issue(DOMAIN, join(dataDir, 'certs')))),
        config: {
          bind: PARLEY_ADDRESS, dns: { servers: [net.dns.server] },
          s2s: { port: 0, trustedCaFile: net.ca?.certFile, certificates: auth === 'certificates' ? 'require-valid' : 'allow-dialback' },
        },
      });
      await net.publish(DOMAIN, peerZone(DOMAIN, PARLEY_ADDRESS, parley.ports.c2s, parley.ports.s2s!));
    }, 120_000);

    afterAll(async () => {
      await Promise.all(clients.map((client) => client.stop()));
      await parley?.stop();
      await net?.stop();
    }, 60_000);

    const parleyUser = async (name: string) => remember(patient(await login(parley, `${name}@${DOMAIN}`, 'pw', { host: PARLEY_ADDRESS, resource: 'parley', timeoutMs: 15_000 })));
    const peerUser = async (kind: PeerKind, name: string) => {
      const account = await net.account(kind, name, 'peer-pw');
      const ports = { ports: { c2s: account.port } } as unknown as ServerPorts;
      return remember(patient(await login(ports, account.jid, 'peer-pw', { host: account.host, resource: kind, timeoutMs: 15_000 })));
    };
    const remember = (client: LoggedInClient) => {
      clients.push(client);
      return client;
    };
    const logs = () => `${net.peer('prosody').log().slice(-4000)}\n${net.peer('ejabberd').log().slice(-4000)}`;

    for (const [index, kind] of (['prosody', 'ejabberd'] as const).entries()) {
      const peerDomain = PEERS[kind].domain;
      describe(kind, () => {
        let local: LoggedInClient;
        let remote: LoggedInClient;
        const localName = ['alice', 'anna'][index]!;
        const remoteName = `carol${auth === 'dialback' ? '' : '2'}`;
        const localJid = `${localName}@${DOMAIN}`;
        const remoteJid = `${remoteName}@${peerDomain}`;

        beforeAll(async () => {
          [local, remote] = await Promise.all([parleyUser(localName), peerUser(kind, remoteName)]);
        }, 30_000);

        it('messages go both ways (bare and full JIDs)', async () => {
          const there = remote.next((s) => s.is('message') && s.getChildText('body') === `hi ${kind}`, 30_000);
          await local.xmpp.send(xml('message', { to: remoteJid, type: 'chat' }, xml('body', {}, `hi ${kind}`)));
          const message = await there.catch((error) => { throw new Error(`${error}\n${logs()}`); });
          expect(message.attrs.from).toBe(`${localJid}/parley`);
          const back = local.next((s) => s.is('message') && s.getChildText('body') === `hi parley from ${kind}`, 30_000);
          await remote.xmpp.send(xml('message', { to: `${localJid}/parley`, type: 'chat' }, xml('body', {}, `hi parley from ${kind}`)));
          expect((await back).attrs.from).toBe(`${remoteJid}/${kind}`);
        }, 60_000);

        it('authenticated both streams the expected way', () => {
          const { outgoing, incoming } = parley.server.federation!.status;
          const expected = auth === 'dialback' ? 'dialback' : 'sasl-external';
          expect(outgoing).toContainEqual(expect.objectContaining({ remote: peerDomain, ready: true, authenticatedBy: expected }));
          expect(incoming.some((stream) => stream.proofs[peerDomain] === expected), JSON.stringify(incoming)).toBe(true);
        });

        it('presence subscriptions both ways reach "both", and presence flows', async () => {
          // the Parley user asks, the peer's user approves and asks back, the Parley user approves
          const asked = remote.next((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === localJid, 30_000);
          await local.xmpp.send(xml('presence', { to: remoteJid, type: 'subscribe' }));
          await asked;
          const approved = local.next((s) => s.is('presence') && s.attrs.type === 'subscribed' && bare(s.attrs.from) === remoteJid, 30_000);
          const askedBack = local.next((s) => s.is('presence') && s.attrs.type === 'subscribe' && bare(s.attrs.from) === remoteJid, 30_000);
          const peerPresence = local.next((s) => s.is('presence') && s.attrs.type === undefined && s.attrs.from === `${remoteJid}/${kind}`, 30_000);
          await remote.xmpp.send(xml('presence', { to: localJid, type: 'subscribed' }));
          await remote.xmpp.send(xml('presence', { to: localJid, type: 'subscribe' }));
          await Promise.all([approved, askedBack]);
          const parleyPresence = remote.next((s) => s.is('presence') && s.attrs.type === undefined && s.attrs.from === `${localJid}/parley`, 30_000);
          await local.xmpp.send(xml('presence', { to: remoteJid, type: 'subscribed' }));
          await Promise.all([peerPresence, parleyPresence]);
          await eventually(async () => expect(await subscription(local, remoteJid)).toBe('both'));
          await eventually(async () => expect(await subscription(remote, localJid)).toBe('both'));
        }, 90_000);

        it('ping and version: each user asks the other server', async () => {
          expect((await iq(local, 'get', peerDomain, xml('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type).toBe('result');
          expect((await iq(remote, 'get', DOMAIN, xml('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type).toBe('result');
          const version = await iq(remote, 'get', DOMAIN, xml('query', { xmlns: 'jabber:iq:version' }));
          expect(version.getChild('query')?.getChildText('name')).toMatch(/parley/i);
          const theirs = await iq(local, 'get', peerDomain, xml('query', { xmlns: 'jabber:iq:version' }));
          expect(theirs.getChild('query')?.getChildText('name')).toBeTruthy();
        }, 60_000);

        it('vCards are read across servers both ways', async () => {
          await iq(local, 'set', undefined, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, `${localName} of Parley`)));
          await iq(remote, 'set', undefined, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, `${remoteName} of ${kind}`)));
          const ours = await iq(remote, 'get', localJid, xml('vCard', { xmlns: 'vcard-temp' }));
          expect(ours.getChild('vCard')?.getChildText('FN')).toBe(`${localName} of Parley`);
          const theirs = await iq(local, 'get', remoteJid, xml('vCard', { xmlns: 'vcard-temp' }));
          expect(theirs.getChild('vCard')?.getChildText('FN')).toBe(`${remoteName} of ${kind}`);
        }, 60_000);
      });
    }
  });
}

function bare(jid: string | undefined): string {
  return (jid ?? '').split('/')[0]!;
}

async function iq(client: LoggedInClient, type: 'get' | 'set', to: string | undefined, payload: Element): Promise<Element> {
  return client.xmpp.iqCaller.request(xml('iq', { type, to }, payload), 30_000);
}

async function subscription(client: LoggedInClient, contact: string): Promise<string | undefined> {
  const roster = await iq(client, 'get', undefined, xml('query', { xmlns: 'jabber:iq:roster' }));
  return roster.getChild('query')?.getChildren('item').find((item) => item.attrs.jid === contact)?.attrs.subscription;
}

async function eventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
