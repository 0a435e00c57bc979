// XEP-0050 ad-hoc commands with XEP-0133 service administration: domain admins (from the adhoc
// module's options or the directory's im-admin role) add, delete, disable users, change passwords,
// end sessions, list online users and announce — on their own domain only, through the admin service.
// @xmpp/client drives each command; slixmpp's xep_0133 plugin adds a user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login } from './helpers/clients.ts';
import { iq, iqError, received, stopAll, xml, type Element, type LoggedInClient } from './helpers/im.ts';
import { slixmpp } from './helpers/slixmpp.ts';

const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_DATA = 'jabber:x:data';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const ADMIN = 'http://jabber.org/protocol/admin';

let server: TestServer;
let boss: LoggedInClient;

beforeAll(async () => {
  server = await startServer({
    domains: ['example.com', 'other.example'],
    users: {
      'boss@example.com': 'boss password', 'deputy@example.com': 'deputy password', 'worker@example.com': 'worker password',
      'stranger@other.example': 'stranger password',
    },
    config: { modules: { adhoc: { admins: ['boss@example.com'] } } },
  });
  boss = await login(server, 'boss@example.com', 'boss password');
});
afterAll(async () => {
  await boss?.stop();
  await server?.stop();
});

function submitForm(fields: Record<string, string | string[]>): Element {
  return xml('x', { xmlns: NS_DATA, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, ADMIN)),
    ...Object.entries(fields).map(([name, value]) => xml('field', { var: name }, ...[value].flat().map((text) => xml('value', {}, text)))));
}

/** §3.4: execute → the form, then complete with it filled; the completed <command/>. */
async function run(client: LoggedInClient, command: string, fields: Record<string, string | string[]>, to = 'example.com'): Promise<Element> {
  const node = `${ADMIN}#${command}`;
  const first = (await iq(client, 'set', xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' }), to)).getChild('command', NS_COMMANDS)!;
  expect(first.attrs).toMatchObject({ node, status: 'executing', sessionid: expect.any(String) });
  expect(first.getChild('x', NS_DATA)!.attrs.type).toBe('form');
  const done = await iq(client, 'set', xml('command', { xmlns: NS_COMMANDS, node, sessionid: first.attrs.sessionid, action: 'complete' }, submitForm(fields)), to);
  const completed = done.getChild('command', NS_COMMANDS)!;
  expect(completed.attrs).toMatchObject({ node, status: 'completed', sessionid: first.attrs.sessionid });
  return completed;
}

/** The client's connection went away (@xmpp/connection status 'disconnect'). */
function disconnected(client: LoggedInClient): Promise<void> {
  return new Promise((resolve) => client.xmpp.on('status', (status) => { if (status === 'disconnect') resolve(); }));
}

function resultValues(command: Element, field: string): string[] {
  return command.getChild('x', NS_DATA)!.getChildren('field').find((element) => element.attrs.var === field)!.getChildren('value').map((value) => value.text());
}

describe('XEP-0050 command list', () => {
  it('an admin sees the XEP-0133 commands on the commands node; a user sees none and may run none (forbidden)', async () => {
    const items = (await iq(boss, 'get', xml('query', { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS }), 'example.com')).getChild('query', NS_DISCO_ITEMS)!;
    const nodes = items.getChildren('item').map((item) => item.attrs.node);
    expect(nodes).toEqual(expect.arrayContaining([`${ADMIN}#add-user`, `${ADMIN}#delete-user`, `${ADMIN}#disable-user`,
      `${ADMIN}#change-user-password`, `${ADMIN}#end-user-session`, `${ADMIN}#get-online-users-list`, `${ADMIN}#announce`]));
    expect(items.getChildren('item').every((item) => item.attrs.jid === 'example.com' && item.attrs.name)).toBe(true);

    const worker = await login(server, 'worker@example.com', 'worker password');
    const none = (await iq(worker, 'get', xml('query', { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS }), 'example.com')).getChild('query', NS_DISCO_ITEMS)!;
    expect(none.getChildren('item')).toEqual([]);
    expect(await iqError(worker, 'set', xml('command', { xmlns: NS_COMMANDS, node: `${ADMIN}#add-user`, action: 'execute' }), 'example.com'))
      .toEqual({ condition: 'forbidden', type: 'auth' });
    await worker.stop();
  });

  it('an unknown command is item-not-found, a made-up session bad-request, cancel ends the session', async () => {
    expect((await iqError(boss, 'set', xml('command', { xmlns: NS_COMMANDS, node: `${ADMIN}#shutdown`, action: 'execute' }), 'example.com')).condition)
      .toBe('item-not-found');
    const node = `${ADMIN}#add-user`;
    expect((await iqError(boss, 'set', xml('command', { xmlns: NS_COMMANDS, node, sessionid: 'forged', action: 'complete' }, submitForm({})), 'example.com')).condition)
      .toBe('bad-request');
    const first = (await iq(boss, 'set', xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' }), 'example.com')).getChild('command', NS_COMMANDS)!;
    const canceled = (await iq(boss, 'set', xml('command', { xmlns: NS_COMMANDS, node, sessionid: first.attrs.sessionid, action: 'cancel' }), 'example.com')).getChild('command', NS_COMMANDS)!;
    expect(canceled.attrs.status).toBe('canceled');
    // the canceled session is gone
    expect((await iqError(boss, 'set', xml('command', { xmlns: NS_COMMANDS, node, sessionid: first.attrs.sessionid, action: 'complete' }, submitForm({})), 'example.com')).condition)
      .toBe('bad-request');
  });
});

describe('XEP-0133 commands', () => {
  it('adds a user who can log in, changes their password, disables and deletes them', async () => {
    const added = await run(boss, 'add-user', { accountjid: 'Newbie@example.com', password: 'newbie password', 'password-verify': 'newbie password', given_name: 'New', surname: 'Bie' });
    expect(added.getChildText('note')).toBe('newbie@example.com was added');
    expect((await server.server.directory.users.get('newbie@example.com'))?.displayName).toBe('New Bie');
    const newbie = await login(server, 'newbie@example.com', 'newbie password');
    await newbie.stop();

    await run(boss, 'change-user-password', { accountjid: 'newbie@example.com', password: 'changed password' });
    await expect(login(server, 'newbie@example.com', 'newbie password')).rejects.toThrow(/not-authorized/);
    const again = await login(server, 'newbie@example.com', 'changed password');
    const ended = disconnected(again);
    await run(boss, 'disable-user', { accountjids: ['newbie@example.com'] });
    await ended; // RFC 6120 §4.9.3.12: a disabled user's stream ends
    await expect(login(server, 'newbie@example.com', 'changed password')).rejects.toThrow(/account-disabled/);

    await run(boss, 'delete-user', { accountjids: ['newbie@example.com'] });
    expect(await server.server.storage.accounts.get('newbie@example.com')).toBeNull();
  });

  it('refuses what the admin service refuses: a taken name (conflict), mismatched passwords, a look-alike, another domain (forbidden)', async () => {
    const refusal = async (command: string, fields: Record<string, string | string[]>) => {
      const node = `${ADMIN}#${command}`;
      const first = (await iq(boss, 'set', xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' }), 'example.com')).getChild('command', NS_COMMANDS)!;
      return iqError(boss, 'set', xml('command', { xmlns: NS_COMMANDS, node, sessionid: first.attrs.sessionid, action: 'complete' }, submitForm(fields)), 'example.com');
    };
    expect((await refusal('add-user', { accountjid: 'worker@example.com', password: 'some password' })).condition).toBe('conflict');
    expect((await refusal('add-user', { accountjid: 'fresh@example.com', password: 'one password', 'password-verify': 'another' })).condition).toBe('not-acceptable');
    expect((await refusal('add-user', { accountjid: 'fre\u202Esh@example.com', password: 'one password' })).condition).toBe('jid-malformed');
    expect((await refusal('delete-user', { accountjids: ['stranger@other.example'] })).condition).toBe('forbidden');
    expect((await refusal('delete-user', { accountjids: ['nobody@example.com'] })).condition).toBe('item-not-found');
    expect(await server.server.storage.accounts.get('stranger@other.example')).not.toBeNull();
  });

  it('lists online users, announces to them and ends one user\'s sessions', async () => {
    const worker = await login(server, 'worker@example.com', 'worker password', { resource: 'desk' });
    const stranger = await login(server, 'stranger@other.example', 'stranger password');
    const online = await run(boss, 'get-online-users-list', { max_items: '100' });
    expect(resultValues(online, 'onlineuserjids')).toEqual(['boss@example.com', 'worker@example.com']);
    expect(resultValues(await run(boss, 'get-online-users-num', {}), 'onlineusersnum')).toEqual(['2']);

    const headline = received(worker, (stanza) => stanza.is('message') && stanza.attrs.type === 'headline');
    await run(boss, 'announce', { subject: 'Maintenance', announcement: ['The server restarts', 'at noon.'] });
    const announcement = await headline;
    expect(announcement.attrs.from).toBe('example.com');
    expect(announcement.getChildText('subject')).toBe('Maintenance');
    expect(announcement.getChildText('body')).toBe('The server restarts\nat noon.');
    expect(stranger.received.some((stanza) => stanza.is('message'))).toBe(false);

    const ended = disconnected(worker);
    const note = (await run(boss, 'end-user-session', { accountjids: ['worker@example.com/desk'] })).getChildText('note');
    expect(note).toBe('1 session(s) ended');
    await ended;
    expect(server.server.sessionTable.hasSessions('worker@example.com')).toBe(false);
    await stopAll(worker, stranger);
  });

  it('an admin by the directory role administers their domain only', async () => {
    await server.server.admin.grantRole('im-admin', { user: 'deputy@example.com' });
    const deputy = await login(server, 'deputy@example.com', 'deputy password');
    await run(deputy, 'add-user', { accountjid: 'by-deputy@example.com', password: 'deputy made' });
    expect(await server.server.storage.accounts.get('by-deputy@example.com')).not.toBeNull();
    // the commands of another domain are not theirs
    expect((await iqError(deputy, 'set', xml('command', { xmlns: NS_COMMANDS, node: `${ADMIN}#add-user`, action: 'execute' }), 'other.example')).condition)
      .toBe('forbidden');
    await deputy.stop();
  });
});

describe('slixmpp (xep_0050, xep_0133)', () => {
  it('lists the commands and adds a user', { timeout: 60_000 }, async () => {
    const outcome = await slixmpp({
      scenario: 'admin', jid: 'boss@example.com', password: 'boss password', host: '127.0.0.1', port: server.ports.c2s,
      command: 'add-user', fields: { accountjid: 'slixmpp-made@example.com', password: 'made by slixmpp', 'password-verify': 'made by slixmpp' },
    });
    expect(outcome).toMatchObject({ status: 'completed', commands: expect.arrayContaining([`${ADMIN}#add-user`, `${ADMIN}#announce`]) });
    const made = await login(server, 'slixmpp-made@example.com', 'made by slixmpp');
    await made.stop();
  });
});
