// Who may use instant messaging: the IM role (granted to a user or through a group) and each domain's
// IM settings decide at login (a SASL <failure/> with a <text/> saying why, RFC 6120 §6.5) and live
// (the sessions end with <not-authorized/>, RFC 6120 §4.9.3.12, when the role goes, the user is
// disabled or the domain's IM is switched off). A domain and its aliases are one set of accounts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers/server.ts';
import { login } from './helpers/clients.ts';
import { chat, createUsers, iq, isMessage, online, passwordOf, stopAll, xml } from './helpers/im.ts';
import { passwordRefusal, startSuiteServer, streamErrorOf } from './helpers/suite.ts';

let server: TestServer;
const admin = () => server.server.admin;

beforeAll(async () => {
  server = await startSuiteServer({ domains: ['example.com', 'example.org'] });
  // example.org is run the suite's way: IM only for holders of the IM role.
  await admin().setDomainIm('example.org', { access: 'restricted' });
});
afterAll(() => server.stop());

function refusal(jid: string) {
  return passwordRefusal(server, jid, passwordOf(jid));
}

describe('a domain left as `parley domain add` makes it', () => {
  it('lets every user of the domain chat, without any role', async () => {
    expect((await admin().getDomain('example.com')).im).toEqual({ enabled: true, access: 'everyone', allowedUsers: [], allowedGroups: [] });
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!);
    await alice.stop();
  });
});

describe('the IM role on a restricted domain', () => {
  it('refuses a login without the role, with a clear reason', async () => {
    const [carolJid] = await createUsers(server, ['carol@example.org']);
    expect(await refusal(carolJid!)).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for this account' });
  });

  it('lets a user in once the role is granted directly, and ends the session when it is revoked', async () => {
    const [daveJid] = await createUsers(server, ['dave@example.org']);
    await admin().grantRole('im', { user: daveJid! });
    const dave = await online(server, daveJid!, { transport: 'websocket' });
    const ended = streamErrorOf(dave);
    await admin().revokeRole('im', { user: daveJid! });
    expect(await ended).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for this account' });
    expect(await refusal(daveJid!)).toMatchObject({ condition: 'not-authorized' });
  });

  it('grants the role through a group; leaving the group ends the session', async () => {
    const [erinJid, frankJid] = await createUsers(server, ['erin@example.org', 'frank@example.org']);
    await admin().createGroup('sales');
    await admin().grantRole('im', { group: 'sales' });
    await admin().addMember('sales', erinJid!);
    await admin().addMember('sales', frankJid!);
    const erin = await online(server, erinJid!);
    const frank = await online(server, frankJid!);

    const erinEnded = streamErrorOf(erin);
    await admin().removeMember('sales', erinJid!);
    expect((await erinEnded).condition).toBe('not-authorized');

    // Frank stays: he is still in the group, and can still chat.
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!);
    const toAlice = alice.next(isMessage('still here'));
    await frank.xmpp.send(chat(aliceJid!, 'still here'));
    await toAlice;

    // Revoking the role from the group ends Frank's session too.
    const frankEnded = streamErrorOf(frank);
    await admin().revokeRole('im', { group: 'sales' });
    expect(await frankEnded).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for this account' });
    await alice.stop();
    await admin().deleteGroup('sales');
  });

  it('applies the allow-list: only listed users or members of listed groups', async () => {
    const [ginaJid, hankJid] = await createUsers(server, ['gina@example.org', 'hank@example.org']);
    await admin().grantRole('im', { user: ginaJid! });
    await admin().grantRole('im', { user: hankJid! });
    await admin().createGroup('pilot');
    await admin().addMember('pilot', ginaJid!);
    await admin().setDomainImAllowed('example.org', { group: 'pilot' }, true);
    try {
      expect(await refusal(hankJid!)).toEqual({
        condition: 'not-authorized', text: 'this account is not among those allowed to use instant messaging on example.org',
      });
      const gina = await online(server, ginaJid!);
      await gina.stop();
    } finally {
      await admin().setDomainImAllowed('example.org', { group: 'pilot' }, false);
      await admin().deleteGroup('pilot');
    }
    const hank = await online(server, hankJid!);
    await hank.stop();
  });
});

describe('disabled users and domains without IM', () => {
  it('ends a disabled user\'s sessions at once and refuses new logins with account-disabled', async () => {
    const [ivyJid] = await createUsers(server, ['ivy']);
    const tcp = await online(server, ivyJid!, { resource: 'desk' });
    const ws = await online(server, ivyJid!, { resource: 'web', transport: 'websocket' });
    const ended = [streamErrorOf(tcp), streamErrorOf(ws)];
    await admin().updateUser(ivyJid!, { enabled: false });
    expect(await Promise.all(ended)).toEqual([
      { condition: 'not-authorized', text: 'this account is disabled' }, { condition: 'not-authorized', text: 'this account is disabled' },
    ]);
    // RFC 6120 §6.5.1 account-disabled
    expect(await refusal(ivyJid!)).toEqual({ condition: 'account-disabled', text: 'this account is disabled' });
    await admin().updateUser(ivyJid!, { enabled: true });
    const back = await online(server, ivyJid!);
    await back.stop();
  });

  it('ends every session of a domain when its IM is disabled, and refuses logins until it is enabled again', async () => {
    const [jackJid, kimJid] = await createUsers(server, ['jack@example.org', 'kim']);
    await admin().grantRole('im', { user: jackJid! });
    const jack = await online(server, jackJid!);
    const kim = await online(server, kimJid!); // example.com: not affected
    const ended = streamErrorOf(jack);
    await admin().setDomainIm('example.org', { enabled: false });
    try {
      expect(await ended).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for example.org' });
      expect(await refusal(jackJid!)).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for example.org' });
      const toKim = kim.next(isMessage('unaffected'));
      await kim.xmpp.send(chat(kimJid!, 'unaffected'));
      await toKim;
    } finally {
      await admin().setDomainIm('example.org', { enabled: true });
    }
    const again = await online(server, jackJid!);
    await stopAll(again, kim);
  });
});

describe('domain aliases and email addresses', () => {
  it('logs alice@alias in as alice@domain, and delivers to bob@alias at bob@domain', async () => {
    await admin().addAlias('example.com', 'mail.example.com');
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alias = (jid: string) => jid.replace('@example.com', '@mail.example.com');
    const alice = await login(server, alias(aliceJid!), passwordOf(aliceJid!), { transport: 'websocket' });
    expect(alice.jid.startsWith(`${aliceJid}/`)).toBe(true); // the session's JID is the canonical one
    const bob = await online(server, bobJid!);
    const toBob = bob.next(isMessage('via the alias'));
    await alice.xmpp.send(chat(alias(bobJid!), 'via the alias'));
    expect((await toBob).attrs.from).toBe(alice.jid);
    // XEP-0030 §4: the alias lists its domain's services (XEP-0045 §6.1 MUC, XEP-0363 §3 upload, XEP-0060 §5.1 pubsub)
    const items = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'mail.example.com');
    expect(items.getChild('query')!.getChildren('item').map((item) => item.attrs.jid)).toEqual(['conference.example.com', 'upload.example.com', 'pubsub.example.com']);
    await stopAll(alice, bob);
  });

  it("logs a user in with another of their email addresses", async () => {
    const [lauraJid] = await createUsers(server, ['laura']);
    await admin().addEmail(lauraJid!, 'laura.palmer@example.com');
    const laura = await login(server, 'laura.palmer@example.com', passwordOf(lauraJid!));
    expect(laura.jid.startsWith(`${lauraJid}/`)).toBe(true);
    await laura.stop();
  });

  it('refuses an account of another domain on this stream, saying where it belongs', async () => {
    const [maxJid] = await createUsers(server, ['max@example.org']);
    await admin().grantRole('im', { user: maxJid! });
    // the whole address as the SASL name: the password is right, but the stream is example.com's
    expect(await passwordRefusal(server, maxJid!, passwordOf(maxJid!), { authcid: maxJid!, streamDomain: 'example.com' }))
      .toEqual({ condition: 'not-authorized', text: 'this account belongs to example.org; connect to that domain' });
    expect(await passwordRefusal(server, maxJid!, passwordOf(maxJid!), { authcid: maxJid! })).toBeNull();
  });
});
