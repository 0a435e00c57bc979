// Malformed iq payloads (RFC 6120 §8.2.3, §8.3.3): every iq handler a module registers answers a
// wrong element in its namespace, or a malformed payload, with the standard error — never with
// internal-server-error. Raw dialogues over TCP, because real clients never send these.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from 'ltx';
import { startServer, type TestServer } from './helpers/server.ts';
import { connectTcp, NS, openBoundSession, type TcpPeer } from './helpers/raw-stream.ts';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_DATA = 'jabber:x:data';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';

let server: TestServer;
let alice: TcpPeer;
let counter = 0;

beforeAll(async () => {
  server = await startServer({
    users: { 'alice@example.com': 'alice-pw', 'bob@example.com': 'bob-pw' },
    config: { c2s: { allowPlaintextOnLoopback: true } },
    captureLogs: true,
  });
  alice = (await openBoundSession(await connectTcp(server.ports.c2s), 'alice', 'alice-pw', 'desk')).peer;
});
afterAll(async () => {
  alice?.destroy();
  await server?.stop();
});

/** Alice sends `<iq type to>payload</iq>`; resolves with the answer's type and error condition. */
async function ask(type: 'get' | 'set', payload: string, to?: string): Promise<{ type: string; condition?: string; errorType?: string }> {
  const id = `q${++counter}`;
  alice.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
  const answer: Element = await alice.receive('iq');
  expect(answer.attrs.id).toBe(id);
  const error = answer.getChild('error');
  const condition = error?.getChildElements().find((child) => child.attrs.xmlns === NS_STANZAS)?.name;
  return { type: answer.attrs.type, condition, errorType: error?.attrs.type };
}

const badRequest = { type: 'error', condition: 'bad-request', errorType: 'modify' };

/**
 * Per registered handler ("target type xmlns name"), payloads that are wrong for it and the error
 * they deserve. The wrong-element case is added for every handler below.
 */
const malformed: Record<string, Array<[what: string, payload: string, expected: { condition: string }]>> = {
  'account get jabber:iq:roster query': [],
  'account set jabber:iq:roster query': [
    ['no item', `<query xmlns='${NS.roster}'/>`, badRequest],
    ['two items', `<query xmlns='${NS.roster}'><item jid='b@example.com'/><item jid='c@example.com'/></query>`, badRequest],
    ['not an item', `<query xmlns='${NS.roster}'><group>x</group></query>`, badRequest],
    ['an item without jid', `<query xmlns='${NS.roster}'><item name='x'/></query>`, badRequest],
    ['a full JID', `<query xmlns='${NS.roster}'><item jid='bob@example.com/desk'/></query>`, badRequest],
    ['a look-alike JID', `<query xmlns='${NS.roster}'><item jid='b\u200bob@example.com'/></query>`, badRequest],
    ['duplicate groups', `<query xmlns='${NS.roster}'><item jid='bob@example.com'><group>a</group><group>a</group></item></query>`, badRequest],
    ['an empty group', `<query xmlns='${NS.roster}'><item jid='bob@example.com'><group/></item></query>`, { condition: 'not-acceptable' }],
  ],
  'host get http://jabber.org/protocol/disco#info query': [
    ['an unknown node', `<query xmlns='${NS.discoInfo}' node='nope'/>`, { condition: 'item-not-found' }],
  ],
  'host get http://jabber.org/protocol/disco#items query': [
    ['an unknown node', `<query xmlns='${NS.discoItems}' node='nope'/>`, { condition: 'item-not-found' }],
  ],
  'account get http://jabber.org/protocol/disco#info query': [
    ['an unknown node', `<query xmlns='${NS.discoInfo}' node='nope'/>`, { condition: 'item-not-found' }],
  ],
  'account get http://jabber.org/protocol/disco#items query': [],
  'host get urn:xmpp:ping ping': [],
  'account get urn:xmpp:ping ping': [],
  'host get jabber:iq:version query': [],
  'host get jabber:iq:register query': [],
  'host get urn:xmpp:extdisco:2 services': [],
  'host get urn:xmpp:extdisco:2 credentials': [
    ['no service', `<credentials xmlns='urn:xmpp:extdisco:2'/>`, badRequest],
    ['a service without host', `<credentials xmlns='urn:xmpp:extdisco:2'><service type='turn'/></credentials>`, badRequest],
  ],
  'host set http://jabber.org/protocol/commands command': [
    ['no node', `<command xmlns='http://jabber.org/protocol/commands' action='execute'/>`, { condition: 'item-not-found' }],
    ['an unknown node', `<command xmlns='http://jabber.org/protocol/commands' node='nope' action='execute'/>`, { condition: 'item-not-found' }],
    ['an admin command from a user', `<command xmlns='http://jabber.org/protocol/commands' node='http://jabber.org/protocol/admin#add-user'/>`, { condition: 'forbidden' }],
  ],
  'host set jabber:iq:register query': [
    ['neither fields nor remove', `<query xmlns='jabber:iq:register'/>`, badRequest],
    ['a password without a user name', `<query xmlns='jabber:iq:register'><password>long enough pw</password></query>`, badRequest],
  ],
  'account get vcard-temp vCard': [],
  'account set vcard-temp vCard': [
    ['a vCard over 128 KiB', `<vCard xmlns='vcard-temp'><DESC>${'x'.repeat(140 * 1024)}</DESC></vCard>`, { condition: 'not-acceptable' }],
  ],
  'account set urn:xmpp:mam:2 query': [
    ['a form of type form', `<query xmlns='${NS.mam}'><x xmlns='${NS_DATA}' type='form'/></query>`, badRequest],
    ['a field without var', `<query xmlns='${NS.mam}'><x xmlns='${NS_DATA}' type='submit'><field><value>x</value></field></x></query>`, badRequest],
    ['a bad with', `<query xmlns='${NS.mam}'><x xmlns='${NS_DATA}' type='submit'><field var='with'><value>a\u202Eb@example.com</value></field></x></query>`, badRequest],
    ['a bad start', `<query xmlns='${NS.mam}'><x xmlns='${NS_DATA}' type='submit'><field var='start'><value>yesterday</value></field></x></query>`, badRequest],
    ['an RSM max that is no number', `<query xmlns='${NS.mam}'><set xmlns='${NS_RSM}'><max>ten</max></set></query>`, badRequest],
    ['two RSM sets', `<query xmlns='${NS.mam}'><set xmlns='${NS_RSM}'/><set xmlns='${NS_RSM}'/></query>`, badRequest],
    ['an unknown id', `<query xmlns='${NS.mam}'><set xmlns='${NS_RSM}'><after>nope</after></set></query>`, { condition: 'item-not-found' }],
  ],
  'account set urn:xmpp:mam:2 prefs': [
    ['no default', `<prefs xmlns='${NS.mam}'/>`, badRequest],
    ['a bad default', `<prefs xmlns='${NS.mam}' default='sometimes'/>`, badRequest],
    ['a bad JID', `<prefs xmlns='${NS.mam}' default='always'><always><jid>a\u200db@example.com</jid></always></prefs>`, { condition: 'jid-malformed' }],
  ],
  'account get urn:xmpp:mam:2 query': [],
  'account get urn:xmpp:mam:2 metadata': [],
  'account get urn:xmpp:mam:2 prefs': [],
  'account get http://jabber.org/protocol/pubsub pubsub': [
    ['no action', `<pubsub xmlns='${NS_PUBSUB}'/>`, badRequest],
    ['two actions', `<pubsub xmlns='${NS_PUBSUB}'><items node='a'/><items node='b'/></pubsub>`, badRequest],
    ['a max_items that is no number', `<pubsub xmlns='${NS_PUBSUB}'><items node='a' max_items='ten'/></pubsub>`, badRequest],
    ['an unknown action', `<pubsub xmlns='${NS_PUBSUB}'><frobnicate node='a'/></pubsub>`, { condition: 'feature-not-implemented' }],
  ],
  'account set http://jabber.org/protocol/pubsub pubsub': [
    ['no action', `<pubsub xmlns='${NS_PUBSUB}'/>`, badRequest],
    ['a publish without node', `<pubsub xmlns='${NS_PUBSUB}'><publish><item><x xmlns='urn:example'/></item></publish></pubsub>`, badRequest],
    ['two items', `<pubsub xmlns='${NS_PUBSUB}'><publish node='a'><item/><item/></publish></pubsub>`, badRequest],
    ['publish-options of type form', `<pubsub xmlns='${NS_PUBSUB}'><publish node='a'><item><x xmlns='urn:example'/></item></publish><publish-options><x xmlns='${NS_DATA}' type='form'/></publish-options></pubsub>`, badRequest],
    ['a subscribe without jid', `<pubsub xmlns='${NS_PUBSUB}'><subscribe node='a'/></pubsub>`, badRequest],
  ],
  'account get http://jabber.org/protocol/pubsub#owner pubsub': [
    ['no action', `<pubsub xmlns='${NS_PUBSUB}#owner'/>`, badRequest],
    ['a node that does not exist', `<pubsub xmlns='${NS_PUBSUB}#owner'><configure node='none'/></pubsub>`, { condition: 'item-not-found' }],
  ],
  'account set http://jabber.org/protocol/pubsub#owner pubsub': [
    ['a configure without form', `<pubsub xmlns='${NS_PUBSUB}#owner'><configure node='none'/></pubsub>`, badRequest],
    ['an affiliation without JID', `<pubsub xmlns='${NS_PUBSUB}#owner'><affiliations node='none'><affiliation affiliation='member'/></affiliations></pubsub>`, badRequest],
  ],
  'account get jabber:iq:private query': [
    ['no fragment', `<query xmlns='jabber:iq:private'/>`, badRequest],
    ['a fragment without namespace', `<query xmlns='jabber:iq:private'><prefs xmlns=''/></query>`, badRequest],
    ['a reserved namespace', `<query xmlns='jabber:iq:private'><query xmlns='jabber:iq:roster'/></query>`, { condition: 'not-acceptable' }],
  ],
  'account set jabber:iq:private query': [
    ['no fragment', `<query xmlns='jabber:iq:private'/>`, badRequest],
    ['a reserved namespace', `<query xmlns='jabber:iq:private'><query xmlns='jabber:iq:private'/></query>`, { condition: 'not-acceptable' }],
  ],
  'account get urn:xmpp:inbox:1 inbox': [
    ['an RSM max that is no number', `<inbox xmlns='urn:xmpp:inbox:1'><set xmlns='${NS_RSM}'><max>ten</max></set></inbox>`, badRequest],
    ['a negative RSM max', `<inbox xmlns='urn:xmpp:inbox:1'><set xmlns='${NS_RSM}'><max>-1</max></set></inbox>`, badRequest],
  ],
  'account set urn:xmpp:carbons:2 enable': [],
  'account set urn:xmpp:carbons:2 disable': [],
  'account get urn:xmpp:blocking blocklist': [],
  'account set urn:xmpp:blocking block': [
    ['no item', `<block xmlns='urn:xmpp:blocking'/>`, badRequest],
    ['an item without jid', `<block xmlns='urn:xmpp:blocking'><item/></block>`, { condition: 'jid-malformed' }],
    ['a bad JID', `<block xmlns='urn:xmpp:blocking'><item jid='@@bad'/></block>`, { condition: 'jid-malformed' }],
    ['a report without a known reason', `<block xmlns='urn:xmpp:blocking'><item jid='eve@example.com'><report xmlns='urn:xmpp:reporting:1'/></item></block>`, badRequest],
  ],
  'account set urn:xmpp:blocking unblock': [
    ['a bad JID', `<unblock xmlns='urn:xmpp:blocking'><item jid='@@bad'/></unblock>`, { condition: 'jid-malformed' }],
  ],
  'account set urn:xmpp:push:0 enable': [
    ['no node', `<enable xmlns='urn:xmpp:push:0' jid='push.example.com'/>`, badRequest],
    ['no jid', `<enable xmlns='urn:xmpp:push:0' node='n'/>`, badRequest],
    ['a bad jid', `<enable xmlns='urn:xmpp:push:0' jid='@@bad' node='n'/>`, badRequest],
  ],
  'account set urn:xmpp:push:0 disable': [
    ['no jid', `<disable xmlns='urn:xmpp:push:0'/>`, badRequest],
  ],
};

describe('every registered iq handler (RFC 6120 §8.3.3)', () => {
  it('has malformed-payload cases here (a new handler needs its own)', () => {
    expect(server.server.iqHandlers.registeredIqs().map(({ target, type, xmlns, name }) => `${target} ${type} ${xmlns} ${name}`).sort()).toEqual(Object.keys(malformed).sort());
  });

  for (const [registration, cases] of Object.entries(malformed)) {
    const [target, type, xmlns, name] = registration.split(' ') as ['host' | 'account', 'get' | 'set', string, string];
    const to = target === 'host' ? 'example.com' : undefined;
    describe(registration, () => {
      it(`<qux${name}/> in ${xmlns}: bad-request`, async () => {
        expect(await ask(type, `<qux${name} xmlns='${xmlns}'/>`, to)).toEqual(badRequest);
      });
      it(`no payload, two payloads: bad-request`, async () => {
        expect(await ask(type, '', to)).toEqual(badRequest);
        expect(await ask(type, `<${name} xmlns='${xmlns}'/><${name} xmlns='${xmlns}'/>`, to)).toEqual(badRequest);
      });
      for (const [what, payload, expected] of cases) {
        it(`${what}: ${expected.condition}`, async () => {
          expect(await ask(type, payload, to)).toMatchObject({ type: 'error', ...expected });
        });
      }
    });
  }

  it('the issue\'s examples: <quxery/> as roster get and set, and disco to the domain', async () => {
    expect(await ask('get', `<quxery xmlns='${NS.roster}'/>`)).toEqual(badRequest);
    expect(await ask('set', `<quxery xmlns='${NS.roster}'><item jid='bob@example.com'/></quxery>`)).toEqual(badRequest);
    expect(await ask('get', `<quxery xmlns='${NS.discoInfo}'/>`, 'example.com')).toEqual(badRequest);
    expect(await ask('get', `<quxery xmlns='${NS.discoItems}'/>`, 'example.com')).toEqual(badRequest);
  });

  it('a namespace nobody handles is still service-unavailable (§8.4), and the session keeps working', async () => {
    expect(await ask('get', `<query xmlns='urn:example:nothing'/>`, 'example.com')).toMatchObject({ condition: 'service-unavailable' });
    expect(await ask('get', `<ping xmlns='urn:xmpp:ping'/>`, 'example.com')).toEqual({ type: 'result' });
  });

  it('logged no handler failure for any of them', () => {
    expect(server.logs.filter((record) => record.level >= 50).map((record) => record.msg)).toEqual([]);
  });
});
