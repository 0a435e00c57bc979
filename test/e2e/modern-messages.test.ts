// What other clients send is shown as they meant it, and the panel sends the same: corrections
// (XEP-0308), replies with a quote (XEP-0461 + XEP-0428 fallback), retractions (XEP-0424),
// reactions (XEP-0444), styling (XEP-0393, never HTML), read markers (XEP-0333); and history
// from the archive (XEP-0313) shows them the same way after a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

const NS = {
  correct: 'urn:xmpp:message-correct:0', reply: 'urn:xmpp:reply:0', fallback: 'urn:xmpp:fallback:0',
  retract: 'urn:xmpp:message-retract:1', reactions: 'urn:xmpp:reactions:0', markers: 'urn:xmpp:chat-markers:0', hints: 'urn:xmpp:hints',
};

describe('modern messages', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;
  let alice: Page;
  const fromBob = (id: string, ...children: ReturnType<typeof xml>[]) => bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id }, ...children));
  const bubble = (text: string) => alice.locator('.bubble').filter({ has: alice.locator('.body', { hasText: text }) });

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw' });
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }]);
    browser = await launchBrowser();
    bob = await login(server, 'bob@example.com', 'pw');
    alice = await browser.newPage();
    await signIn(alice, baseUrl(server), 'alice@example.com', 'alice-secret');
    await alice.locator('[data-jid="bob@example.com"] button.main').click();
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('shows what another client sends as it was meant', async () => {
    await fromBob('b1', xml('body', null, 'Meeting at 10'), xml('markable', { xmlns: NS.markers }));
    await bubble('Meeting at 10').waitFor();
    await fromBob('b2', xml('body', null, 'Meeting at 11'), xml('replace', { xmlns: NS.correct, id: 'b1' }));
    await bubble('Meeting at 11').getByText('edited').waitFor();
    expect(await bubble('Meeting at 10').count()).toBe(0);

    const quote = '> Meeting at 11\n';
    await fromBob('b3', xml('body', null, `${quote}Room 4 then`), xml('reply', { xmlns: NS.reply, to: 'bob@example.com', id: 'b1' }),
      xml('fallback', { xmlns: NS.fallback, for: NS.reply }, xml('body', { start: '0', end: String([...quote].length) })));
    const reply = bubble('Room 4 then');
    await reply.waitFor();
    expect(await reply.locator('.quoted').textContent()).toBe('Meeting at 11');
    expect(await reply.locator('.body').textContent()).toBe('Room 4 then');

    await fromBob('b4', xml('body', null, 'oops, wrong chat'));
    await bubble('oops, wrong chat').waitFor();
    await fromBob('b5', xml('retract', { xmlns: NS.retract, id: 'b4' }), xml('fallback', { xmlns: NS.fallback, for: NS.retract }),
      xml('body', null, 'This person attempted to retract a previous message, but it\'s unsupported by your client.'), xml('store', { xmlns: NS.hints }));
    await bubble('This message was deleted').waitFor();
    expect(await bubble('oops, wrong chat').count()).toBe(0);
    expect(await bubble('attempted to retract').count()).toBe(0);

    await fromBob('b6', xml('reactions', { xmlns: NS.reactions, id: 'b3' }, xml('reaction', null, '🎉')), xml('store', { xmlns: NS.hints }));
    await reply.getByRole('button', { name: '🎉 1' }).waitFor();

    await fromBob('b7', xml('body', null, '*bold* _soft_ ~gone~ `code` <b>not html</b>\n> quoted'));
    const styled = bubble('not html');
    await styled.waitFor();
    expect(await styled.locator('strong').textContent()).toBe('*bold*');
    expect(await styled.locator('em').textContent()).toBe('_soft_');
    expect(await styled.locator('del').textContent()).toBe('~gone~');
    expect(await styled.locator('code').textContent()).toBe('`code`');
    expect(await styled.locator('blockquote').textContent()).toBe('quoted');
    expect(await styled.locator('b').count()).toBe(0);
  });

  it('sends displayed markers for what Alice saw, and shows Bob\'s for hers', async () => {
    const marker = bob.next((s) => s.is('message') && s.getChild('displayed', NS.markers) !== undefined);
    await fromBob('b8', xml('body', null, 'seen?'), xml('markable', { xmlns: NS.markers }));
    expect((await marker).getChild('displayed', NS.markers)!.attrs.id).toBe('b8');

    const composer = alice.getByLabel('Message Bob');
    const sent = bob.next((s) => s.is('message') && s.getChildText('body') === 'yes, seen');
    await composer.fill('yes, seen');
    await composer.press('Enter');
    const mine = await sent;
    expect(mine.getChild('markable', NS.markers)).toBeDefined();
    await fromBob('b9', xml('displayed', { xmlns: NS.markers, id: mine.attrs.id! }), xml('store', { xmlns: NS.hints }));
    await alice.locator('.bubble[data-direction="out"][data-delivery="read"]', { hasText: 'yes, seen' }).waitFor();
  });

  it('edits, replies to, reacts to and deletes messages, for other clients to see', async () => {
    const composer = alice.getByLabel('Message Bob');
    const original = bob.next((s) => s.is('message') && s.getChildText('body') === 'Lunch at noon?');
    await composer.fill('Lunch at noon?');
    await composer.press('Enter');
    const first = await original;

    const correction = bob.next((s) => s.is('message') && s.getChild('replace', NS.correct) !== undefined);
    await composer.press('ArrowUp'); // edit the last message
    expect(await composer.inputValue()).toBe('Lunch at noon?');
    await composer.fill('Lunch at one?');
    await composer.press('Enter');
    const replace = await correction;
    expect(replace.getChild('replace', NS.correct)!.attrs.id).toBe(first.attrs.id);
    expect(replace.getChildText('body')).toBe('Lunch at one?');
    await bubble('Lunch at one?').getByText('edited').waitFor();

    const replied = bob.next((s) => s.is('message') && s.getChild('reply', NS.reply) !== undefined);
    await bubble('Room 4 then').hover();
    await bubble('Room 4 then').getByRole('button', { name: 'Reply' }).click();
    await composer.fill('See you there');
    await composer.press('Enter');
    const answer = await replied;
    expect(answer.getChild('reply', NS.reply)!.attrs.id).toBe('b3');
    const body = answer.getChildText('body')!;
    const range = answer.getChild('fallback', NS.fallback)!.getChild('body')!.attrs;
    expect([...body].slice(Number(range.start), Number(range.end)).join('')).toBe('> Room 4 then\n');
    expect(body.endsWith('See you there')).toBe(true);
    expect(await bubble('See you there').locator('.quoted').textContent()).toBe('Room 4 then');

    const reaction = bob.next((s) => s.is('message') && s.getChild('reactions', NS.reactions) !== undefined);
    await bubble('Meeting at 11').hover();
    await bubble('Meeting at 11').getByRole('button', { name: 'React with 👍' }).click();
    const reactions = (await reaction).getChild('reactions', NS.reactions)!;
    expect(reactions.attrs.id).toBe('b1');
    expect(reactions.getChildText('reaction')).toBe('👍');

    const retraction = bob.next((s) => s.is('message') && s.getChild('retract', NS.retract) !== undefined);
    await bubble('See you there').hover();
    await bubble('See you there').getByRole('button', { name: 'Delete for everyone' }).click();
    const retract = await retraction;
    expect(retract.getChild('retract', NS.retract)!.attrs.id).toBe(answer.attrs.id);
    expect(retract.getChildText('body')).toContain('retract');
    expect(retract.getChild('fallback', NS.fallback)!.attrs.for).toBe(NS.retract);
    await bubble('See you there').waitFor({ state: 'detached' });
  });

  it('shows the same from the archive after a reload', async () => {
    const page = await browser.newPage();
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await page.locator('[data-jid="bob@example.com"] button.main').click();
    const shown = (text: string) => page.locator('.bubble').filter({ has: page.locator('.body', { hasText: text }) });
    await shown('Meeting at 11').getByText('edited').waitFor();
    expect(await shown('Meeting at 10').count()).toBe(0);
    expect(await shown('Meeting at 11').getByRole('button', { name: '👍 1' }).count()).toBe(1);
    expect(await shown('Room 4 then').locator('.quoted').textContent()).toBe('Meeting at 11');
    expect(await shown('Room 4 then').getByRole('button', { name: '🎉 1' }).count()).toBe(1);
    expect(await shown('oops, wrong chat').count()).toBe(0);
    expect(await shown('attempted to retract').count()).toBe(0);
    expect(await shown('This message was deleted').count()).toBe(2);
    await shown('Lunch at one?').getByText('edited').waitFor();
    expect(await page.locator('.bubble[data-direction="out"][data-delivery="read"]', { hasText: 'yes, seen' }).count()).toBe(1);
  });
});
