// axe-core over every view of the panel, light and dark, at 320 and 1280 px: no serious or
// critical finding (contrast included), the profile's refused photo and shared files (previews,
// download links, a refused upload) among them. Right-to-left text is laid out right to left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeFindings as audit, type AxeFinding as Finding } from '../helpers/axe.ts';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, seedVcard, startPanelServer, uploadAs, uploadConfig, uploadsServed } from '../helpers/panel.ts';
import { freePortBelowEphemeral } from '../helpers/ports.ts';
import type { TestServer } from '../helpers/server.ts';

// An 8×8 PNG gradient (Alice's photo in the address book).
const PICTURE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAgElEQVR4nA3JIQFFMQhA0R/n1VgNGqAxa4BB04AG0zOY24A6f8ee3ycsQQQTQijhCiP8PmUpopgSSilXGX2xWRvZ2CY2tbmb2S+c5YhjTjjlXGf8RbISSSyJpJKbTL4oViGFFVFUcYupF4d1kIMd4lCHe5jzolmNNNZEU81tpvkDiI11ga+0y6EAAAAASUVORK5CYII=', 'base64');

const MAX_UPLOAD = 64 * 1024;


describe('accessibility', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;
  let mallory: LoggedInClient;

  beforeAll(async () => {
    const port = await freePortBelowEphemeral();
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw', 'mallory@example.com': 'pw' },
      { http: { port }, ...uploadConfig(port, MAX_UPLOAD) });
    await seedRoster(server, 'alice@example.com', [
      { jid: 'bob@example.com', name: 'Bob', groups: ['Team'] }, { jid: 'dana@example.com', name: 'דנה כהן' }, { jid: 'erin@example.com' },
    ]);
    await seedVcard(server, 'erin@example.com', 'Erin Walsh');
    await server.server.admin.setPhoto('alice@example.com', { type: 'image/png', data: PICTURE });
    bob = await login(server, 'bob@example.com', 'pw');
    mallory = await login(server, 'mallory@example.com', 'pw');
    await bob.xmpp.send(xml('presence', null, xml('show', null, 'away'), xml('status', null, 'Lunch')));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await bob?.stop();
    await mallory?.stop();
    await browser?.close();
    await server?.stop();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const width of [320, 1280]) {
      it(`has no serious finding in any view, ${colorScheme}, ${width} px`, async () => {
        const page = await browser.newPage({ width, height: 720, colorScheme });
        const findings: Finding[] = [];
        await page.goto(baseUrl(server));
        await page.getByLabel('Address').waitFor();
        findings.push(...await audit(page, 'login'));
        await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
        // (from the second run on, the inbox has Bob's unread message and the panel opens on Chats)
        await page.getByRole('tab', { name: /Contacts/ }).click();
        await page.locator('[data-jid="bob@example.com"]').getByText('Lunch').waitFor();
        findings.push(...await audit(page, 'contacts'));

        await page.getByRole('button', { name: 'Menu' }).click();
        findings.push(...await audit(page, 'menu'));
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: /^Your status/ }).click();
        findings.push(...await audit(page, 'presence'));
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Add contact' }).first().click();
        await page.getByRole('dialog').waitFor();
        findings.push(...await audit(page, 'add contact'));
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Edit your profile' }).click();
        await page.getByRole('dialog').waitFor();
        findings.push(...await audit(page, 'profile'));
        // the address book owns Alice's photo: a new one is refused, in words
        await page.locator('input[type=file]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PICTURE });
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('dialog').getByRole('alert').waitFor();
        findings.push(...await audit(page, 'profile refused'));
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('menuitem', { name: 'Blocked contacts' }).click();
        await page.getByRole('dialog').waitFor();
        findings.push(...await audit(page, 'blocked contacts'));
        await page.keyboard.press('Escape');

        const arrived = page.locator('.bubble[data-direction="in"]').first();
        await page.locator('[data-jid="bob@example.com"] button.main').click();
        await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, 'שלום! *see* https://example.org')));
        await arrived.waitFor();
        await page.getByLabel('Message Bob').fill('a reply in progress');
        findings.push(...await audit(page, 'chat'));
        expect(await arrived.locator('.body').evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
        if (uploadsServed) {
          // shared files (XEP-0363 + OOB from Bob's client): an image preview and a download link;
          // Alice's file over the limit, refused in words
          for (const [name, type, bytes] of [['gradient.png', 'image/png', PICTURE], ['notes.pdf', 'application/pdf', Buffer.from('%PDF-1.4\n%%EOF\n')]] as const) {
            const url = await uploadAs(bob, name, type, bytes);
            await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, url), xml('x', { xmlns: 'jabber:x:oob' }, xml('url', null, url))));
          }
          await page.getByRole('link', { name: 'Download notes.pdf' }).last().waitFor();
          await page.getByRole('link', { name: 'Open gradient.png full size' }).last().waitFor();
          await page.locator('.composer input[type=file]').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MAX_UPLOAD + 1) });
          await page.getByRole('alert').filter({ hasText: 'big.bin' }).waitFor();
          findings.push(...await audit(page, 'files'));
          await page.getByRole('button', { name: 'Dismiss' }).click();
        }

        if (width < 640) await page.getByRole('button', { name: 'Back to list' }).click();
        await page.getByRole('tab', { name: /Chats/ }).click();
        await page.locator('[data-peer="bob@example.com"]').waitFor();
        findings.push(...await audit(page, 'chats'));
        await page.getByRole('searchbox', { name: /Search messages/ }).fill('שלום');
        await page.keyboard.press('Enter');
        await page.locator('.results, [data-result]').first().waitFor().catch(() => {});
        findings.push(...await audit(page, 'search'));

        // a stranger writes: the chat offers to block them (XEP-0191), then says they are blocked
        await page.getByRole('button', { name: 'Clear search' }).click().catch(() => {});
        await mallory.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, `buy now ${colorScheme} ${width}`)));
        await page.locator('button[data-peer="mallory@example.com"]').click();
        await page.getByRole('button', { name: 'Report spam and block' }).waitFor();
        findings.push(...await audit(page, 'stranger'));
        await page.getByRole('button', { name: 'Block', exact: true }).click();
        await page.getByRole('button', { name: 'Unblock', exact: true }).waitFor();
        findings.push(...await audit(page, 'blocked chat'));
        await page.getByRole('button', { name: 'Unblock', exact: true }).click();
        await page.getByRole('button', { name: 'Unblock', exact: true }).waitFor({ state: 'detached' });

        expect(findings, JSON.stringify(findings, null, 1)).toEqual([]);
      });

      it(`has no serious finding in the rooms views, ${colorScheme}, ${width} px`, async () => {
        const page = await browser.newPage({ width, height: 720, colorScheme });
        const findings: Finding[] = [];
        const room = `a11y-${colorScheme}-${width}@conference.example.com`;
        await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
        await page.getByRole('tab', { name: /Rooms/ }).click();
        // a direct invitation (XEP-0249) waiting in the list
        await bob.xmpp.send(xml('message', { to: 'alice@example.com' }, xml('x', { xmlns: 'jabber:x:conference', jid: `elsewhere-${colorScheme}-${width}@conference.example.com`, reason: 'Join us' })));
        await page.locator('[data-invitation]').first().waitFor();
        findings.push(...await audit(page, 'rooms'));
        await page.getByRole('button', { name: 'Join a room' }).click();
        await page.getByRole('dialog').waitFor();
        findings.push(...await audit(page, 'join room'));
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'New room' }).click();
        await page.getByLabel('Room name').fill(room.split('@')[0]!);
        await page.getByLabel('Choose the settings').check();
        findings.push(...await audit(page, 'new room'));
        await page.getByRole('button', { name: 'Create room' }).click();
        const view = page.locator(`[data-room-view="${room}"]`);
        await view.waitFor();
        await page.getByLabel(/^Message a11y/).fill('@alice a mention in progress');
        await page.getByLabel(/^Message a11y/).press('Enter');
        await view.locator('.bubble[data-delivery="delivered"]').waitFor();
        await view.getByRole('button', { name: /(person|people) in the room/ }).click();
        await page.locator('[data-occupant="alice"]').waitFor();
        findings.push(...await audit(page, 'room with occupants'));
        await view.getByRole('button', { name: 'Change the subject' }).click();
        findings.push(...await audit(page, 'room subject'));
        await page.keyboard.press('Escape');
        await view.getByRole('button', { name: 'Invite people' }).click();
        await page.getByRole('dialog').waitFor();
        findings.push(...await audit(page, 'invite'));
        await page.keyboard.press('Escape');
        expect(findings, JSON.stringify(findings, null, 1)).toEqual([]);
      });
    }
  }
});
