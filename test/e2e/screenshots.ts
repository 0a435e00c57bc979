// Renders the panel in the states people see, for looking at (not a test):
//   node --import ./server/bin/typescript-loader.js test/e2e/screenshots.ts [outDir]
// Sidebar width (320 px) and full window, light and dark, into /tmp/screens by default.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/server.ts';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { ensureWebClientBuilt, launchBrowser, signIn, webClientDir } from '../helpers/browser.ts';

const outDir = process.argv[2] ?? '/tmp/screens';
mkdirSync(outDir, { recursive: true });
ensureWebClientBuilt();

const PHOTO = 'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAgElEQVR4nA3JIQFFMQhA0R/n1VgNGqAxa4BB04AG0zOY24A6f8ee3ycsQQQTQijhCiP8PmUpopgSSilXGX2xWRvZ2CY2tbmb2S+c5YhjTjjlXGf8RbISSSyJpJKbTL4oViGFFVFUcYupF4d1kIMd4lCHe5jzolmNNNZEU81tpvkDiI11ga+0y6EAAAAASUVORK5CYII=';
const people = [
  { jid: 'bob@example.com', name: 'Bob Martin', group: 'Team', show: undefined, status: 'Reviewing the Q3 plan', photo: true },
  { jid: 'carol@example.com', name: 'Carol Nguyen', group: 'Team', show: 'away', status: '', photo: false },
  { jid: 'dave@example.com', name: 'Dave Okafor', group: 'Team', show: 'dnd', status: 'In a meeting until 3', photo: false },
  { jid: 'erin@example.com', name: 'Erin Walsh', group: 'Friends', show: undefined, status: '', photo: true },
  { jid: 'frank@example.com', name: 'Frank Li', group: '', show: undefined, status: '', photo: false, offline: true },
];
const users: Record<string, string> = { 'alice@example.com': 'pw', 'grace@example.com': 'pw' };
for (const person of people) users[person.jid] = 'pw';
const server = await startServer({ users, config: { http: { webClientDir } } });
const base = `http://127.0.0.1:${server.ports.http}/`;
const clients = new Map<string, LoggedInClient>();

for (const person of people) {
  const client = await login(server, person.jid, 'pw', { presence: false });
  clients.set(person.jid, client);
  await client.xmpp.iqCaller.set(xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', null, person.name),
    person.photo ? xml('PHOTO', null, xml('TYPE', null, 'image/png'), xml('BINVAL', null, PHOTO)) : null));
  // Accept Alice's request and ask back, as a person would.
  client.xmpp.on('stanza', (stanza) => {
    if (stanza.is('presence') && stanza.attrs.type === 'subscribe') {
      void client.xmpp.send(xml('presence', { to: stanza.attrs.from, type: 'subscribed' }));
      void client.xmpp.send(xml('presence', { to: stanza.attrs.from, type: 'subscribe' }));
    }
  });
  const photoHash = person.photo ? await sha1(Buffer.from(PHOTO, 'base64')) : '';
  if (!person.offline) {
    await client.xmpp.send(xml('presence', null, person.show ? xml('show', null, person.show) : null,
      person.status ? xml('status', null, person.status) : null, xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', null, photoHash))));
  }
}
// Carol wrote while Alice was away: shown with its original time.
await clients.get('carol@example.com')!.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'c1' },
  xml('body', null, 'Morning! Did you get the slides I sent yesterday? 📎')));

const browser = await launchBrowser();
const page = await browser.newPage({ width: 1280, height: 760 });
await page.goto(base);
await page.getByLabel('Address').fill('alice@example.com');
await shoot('login-light-full');
await page.setViewportSize({ width: 320, height: 640 });
await page.emulateMedia({ colorScheme: 'dark' });
await shoot('login-dark-320');
await page.emulateMedia({ colorScheme: 'light' });
await page.setViewportSize({ width: 1280, height: 760 });
await signIn(page, base, 'alice@example.com', 'pw');
await page.locator('[data-peer="carol@example.com"]').waitFor();
await shoot('chats-unread-light-full');
await page.getByRole('tab', { name: /Contacts/ }).click();

for (const person of people) {
  await page.getByRole('button', { name: 'Add contact' }).first().click();
  await page.getByLabel('Address').fill(person.jid);
  await page.getByLabel(/^Group/).fill(person.group);
  await page.getByRole('button', { name: 'Add contact' }).last().click();
  await page.locator(`[data-jid="${person.jid}"]`).waitFor();
}
const grace = await login(server, 'grace@example.com', 'pw');
await grace.xmpp.send(xml('presence', { to: 'alice@example.com', type: 'subscribe' }));
await page.locator('[data-request="grace@example.com"]').waitFor();
await page.locator('[data-jid="bob@example.com"] img').waitFor();
await page.waitForTimeout(500);
await shoot('contacts-light-full');

// A conversation with Bob.
const bob = clients.get('bob@example.com')!;
await page.locator('[data-jid="bob@example.com"] button.main').click();
await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'b1' }, xml('body', null, 'Hi Alice! Have a minute for the roadmap?')));
await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'b2' }, xml('body', null, 'Draft is here: https://docs.example.com/roadmap/2025-q3?view=comments')));
await page.locator('.bubble', { hasText: 'Draft is here' }).waitFor();
const composer = page.getByLabel('Message Bob Martin');
await composer.fill('Sure — looking at it now 👀');
await composer.press('Enter');
await composer.fill('The section on the migration is long but clear. One question: do we keep the old endpoints around for a release, or do we switch everyone at once? I would rather keep them for one release so that the mobile apps can catch up.');
await composer.press('Enter');
while (!bob.received.some((s) => s.is('message') && (s.getChildText('body') ?? '').startsWith('The section'))) await page.waitForTimeout(50);
for (const stanza of bob.received.filter((s) => s.is('message') && s.getChild('request', 'urn:xmpp:receipts'))) {
  await bob.xmpp.send(xml('message', { to: stanza.attrs.from }, xml('received', { xmlns: 'urn:xmpp:receipts', id: stanza.attrs.id })));
}
await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'b3' }, xml('body', null, '👍')));
// A reply with its quote (XEP-0461), a reaction (XEP-0444), a correction (XEP-0308), styling (XEP-0393).
const quote = '> The section on the migration is long but clear.\n';
await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'b4' }, xml('body', null, `${quote}Agreed, *one release* it is. I'll tell the _mobile_ team.`),
  xml('reply', { xmlns: 'urn:xmpp:reply:0', to: 'alice@example.com', id: 'x' }),
  xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: String([...quote].length) }))));
await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'b5' }, xml('body', null, 'Meeting moved to Thursday')));
await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'b6' }, xml('body', null, 'Meeting moved to Friday'), xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'b5' })));
await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'b7' }, xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 'b2' }, xml('reaction', null, '🎉'))));
await page.locator('.bubble', { hasText: 'Meeting moved to Friday' }).waitFor();
await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
await page.getByText('Bob Martin is typing…').waitFor();
await shoot('chat-light-full');
await page.emulateMedia({ colorScheme: 'dark' });
await shoot('chat-dark-full');

await page.setViewportSize({ width: 320, height: 640 });
await shoot('chat-dark-320');
await page.emulateMedia({ colorScheme: 'light' });
await shoot('chat-light-320');
await page.getByRole('button', { name: 'Back to list' }).click();
await shoot('chats-light-320');
await page.getByRole('tab', { name: /Contacts/ }).click();
await shoot('contacts-light-320');
await page.emulateMedia({ colorScheme: 'dark' });
await shoot('contacts-dark-320');
await page.getByRole('button', { name: /^Your status/ }).click();
await shoot('presence-menu-dark-320');
await page.keyboard.press('Escape');
await page.getByRole('button', { name: 'Menu' }).click();
await shoot('menu-dark-320');
await page.keyboard.press('Escape');
await page.emulateMedia({ colorScheme: 'light' });
await page.setViewportSize({ width: 1280, height: 760 });
await page.getByRole('searchbox', { name: 'Search messages' }).fill('release');
await page.keyboard.press('Enter');
await page.getByRole('region', { name: 'Search results' }).locator('.result').first().waitFor();
await shoot('search-light-full');

for (const client of [...clients.values(), grace]) await client.stop();
await browser.close();
await server.stop();

async function shoot(name: string): Promise<void> {
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(outDir, `${name}.png`) });
  console.log('saved', join(outDir, `${name}.png`));
}

async function sha1(bytes: Buffer): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha1').update(bytes).digest('hex');
}
