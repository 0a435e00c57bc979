// The admin console in Chromium, walking the seed's sequence as an admin would: sign in with an admin
// account's password, enable IM for a domain, restrict it to the IM role, grant the role to a group
// through its members — then a member signs in with @xmpp/client and a user outside the group is
// refused; kick the member's session; replace the domain's certificate by upload and see new TLS
// connections get it. Each step is checked in the page and on the server; screenshots of each screen
// go to PARLEY_SCREENSHOTS (default /tmp/admin-screens) for looking at.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login } from '../helpers/clients.ts';
import { launchBrowser, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { api, ADMIN_TOKEN, hs256Token, passwordRefusal, startSuiteServer, streamErrorOf } from '../helpers/suite.ts';
import { freePortBelowEphemeral } from '../helpers/ports.ts';
import { selfSignedCertificate } from '../helpers/test-ca.ts';
import type { TestServer } from '../helpers/server.ts';
import { presentedFingerprint } from '../helpers/test-tls.ts';

const screenshots = process.env.PARLEY_SCREENSHOTS ?? '/tmp/admin-screens';

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

describe('the admin console', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let page: Page;
  let scratch: string;
  let consoleUrl: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'parley-admin-e2e-'));
    const noElasticsearch = await freePortBelowEphemeral();
    server = await startSuiteServer({
      domains: ['example.com', 'corp.example'],
      users: { 'root@example.com': 'root-secret', 'ann@corp.example': 'ann-secret', 'olaf@corp.example': 'olaf-secret' },
      config: {
        http: { webClientDir }, admin: { accounts: { enabled: true } },
        // nothing listens there: the reindex fails, and the console says why
        archive: { elasticsearch: { nodes: [`http://127.0.0.1:${noElasticsearch}`], requestTimeoutMs: 1000 } },
      },
    });
    // the seed: corp.example is served with IM off; root is an admin
    await api(server, 'PATCH', 'domains/corp.example/im', { enabled: false });
    await api(server, 'POST', 'roles/grant', { role: 'admin', user: 'root@example.com' });
    consoleUrl = `http://127.0.0.1:${server.ports.http}/admin/`;
    browser = await launchBrowser();
    page = await browser.newPage({ width: 1200, height: 800 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('signs in with an admin account, and refuses a wrong password with the reason', async () => {
    await page.goto(consoleUrl);
    await page.getByLabel('Address').fill('root@example.com');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).first().click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^Not signed in/);
    await shot(page, '01-sign-in-refused');
    await page.getByLabel('Password').fill('root-secret');
    await page.getByRole('button', { name: 'Sign in' }).first().click();
    await page.getByRole('heading', { name: 'Served domains' }).waitFor();
    await page.getByRole('cell', { name: 'corp.example' }).waitFor();
    await shot(page, '02-domains');
  });

  it('enables IM for the domain and restricts it to the IM role', async () => {
    await page.getByRole('link', { name: 'corp.example' }).click();
    const enabled = page.getByLabel('Instant messaging is enabled for this domain');
    expect(await enabled.isChecked()).toBe(false);
    expect(await passwordRefusal(server, 'ann@corp.example', 'ann-secret')).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for corp.example' });
    await enabled.check();
    await page.getByText('Instant messaging is enabled.').waitFor();
    expect(await passwordRefusal(server, 'ann@corp.example', 'ann-secret')).toBeNull();
    await page.getByLabel('Only users with the IM role (directly or through a group)').check();
    await page.getByText('Now: Only users with the IM role').waitFor();
    expect((await api(server, 'GET', 'domains/corp.example')).body).toMatchObject({ im: { enabled: true, access: 'restricted' } });
    expect(await passwordRefusal(server, 'ann@corp.example', 'ann-secret')).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for this account' });
    await shot(page, '03-domain-restricted');
  });

  it('grants the IM role to a group: its member signs in with @xmpp/client, a user outside it is refused', async () => {
    await page.getByRole('link', { name: 'Groups' }).click();
    // the domain's screen can still be there a moment after the click, and its federation label
    // ('…prove their name with') matches 'Name' unless the match is exact
    await page.getByRole('heading', { name: 'Groups', exact: true }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('staff');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('link', { name: 'staff' }).click();
    await page.getByLabel('Address of the new member').fill('ann@corp.example');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('ann@corp.example is a member now.').waitFor();
    await page.getByLabel('IM role: its members may use instant messaging').check();
    await page.getByText('The IM role is granted to the group.').waitFor();
    await shot(page, '04-group');

    const ann = await login(server, 'ann@corp.example', 'ann-secret', { resource: 'desk' });
    try {
      expect(ann.jid).toBe('ann@corp.example/desk');
      expect(await passwordRefusal(server, 'olaf@corp.example', 'olaf-secret')).toEqual({ condition: 'not-authorized', text: 'instant messaging is not enabled for this account' });

      // kick her session from her user page
      await page.getByRole('link', { name: 'Users' }).click();
      await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
      await page.getByLabel('Domain', { exact: true }).selectOption('corp.example');
      await page.getByRole('link', { name: 'ann@corp.example' }).click();
      const row = page.locator('tr[data-resource="desk"]');
      await row.waitFor();
      expect(await row.textContent()).toContain('tcp');
      await shot(page, '05-user-sessions');
      const ended = streamErrorOf(ann);
      await row.getByRole('button', { name: 'Kick desk' }).click();
      expect(await ended).toEqual({ condition: 'policy-violation', text: 'the session was ended by an administrator' });
      await page.getByText('The session desk was ended.').waitFor();
      await page.getByText('Not signed in.').waitFor();
      expect((await api(server, 'GET', 'users/ann@corp.example/sessions')).body).toEqual([]);
      await shot(page, '06-user-kicked');
    } finally {
      await ann.stop().catch(() => {});
    }
  });

  it("replaces the domain's certificate by upload: new TLS connections get it", async () => {
    const before = await presentedFingerprint(server, 'corp.example');
    await page.getByRole('link', { name: 'Domains' }).click();
    await page.getByRole('link', { name: 'corp.example' }).click();
    const card = page.locator('[data-certificate="corp.example"]');
    expect(await card.locator('[data-fingerprint]').textContent()).toBe(before);
    const wrong = await selfSignedCertificate('elsewhere.example', join(scratch, 'wrong'));
    await card.getByLabel(/^Certificate with its chain/).setInputFiles(wrong.cert);
    await card.getByLabel(/^Private key/).setInputFiles(wrong.key);
    await card.getByRole('button', { name: 'Upload and use' }).click();
    await expect.poll(() => card.getByRole('alert').textContent()).toMatch(/^the certificate cannot serve corp\.example/);
    await shot(page, '07-certificate-refused');

    const mine = await selfSignedCertificate('corp.example', join(scratch, 'mine'));
    await card.getByLabel(/^Certificate with its chain/).setInputFiles(mine.cert);
    await card.getByLabel(/^Private key/).setInputFiles(mine.key);
    await card.getByRole('button', { name: 'Upload and use' }).click();
    await card.getByText('The new certificate serves every new connection.').waitFor();
    const now = await card.locator('[data-fingerprint]').textContent();
    expect(now).not.toBe(before);
    expect(await presentedFingerprint(server, 'corp.example')).toBe(now);
    await shot(page, '08-certificate-replaced');
  });

  it('signs in with the admin token too, and shows the archive and the live figures', async () => {
    const other = await browser.newPage({ width: 1200, height: 800, colorScheme: 'dark' });
    await other.goto(consoleUrl);
    await other.getByLabel('Admin token', { exact: true }).fill(ADMIN_TOKEN);
    await other.getByRole('button', { name: 'Sign in' }).last().click();
    await other.getByRole('heading', { name: 'Served domains' }).waitFor();
    await other.getByRole('link', { name: 'Archive' }).click();
    await other.getByText('Embedded (SQLite)').waitFor();
    await other.getByRole('button', { name: 'Start reindex' }).click();
    await other.getByText('The reindex started.').waitFor();
    await other.locator('[data-job-state="failed"]').waitFor({ timeout: 20_000 });
    expect(await other.locator('[aria-labelledby="archive-reindex"] .notice.error').textContent()).toMatch(/ECONNREFUSED|connect|Living/i);
    await shot(other, '09-archive-dark');
    await other.getByRole('link', { name: 'Live figures' }).click();
    await other.locator('[data-figure="sessions"] .value').waitFor();
    // the group chat and federation figures of this node too (no room open, no peer linked here)
    expect(await other.locator('[data-figure="muc-rooms"] .value').textContent()).toBe('0');
    await other.getByRole('heading', { name: 'Federation' }).waitFor();
    expect(await other.locator('[data-s2s="outgoing"] td').last().textContent()).toBe('0');
    await shot(other, '10-figures-dark');
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.getByLabel('Admin token', { exact: true }).waitFor();
  });
});

describe('the admin console with the suite\'s admin JWTs', () => {
  const secret = 'admin-jwt-secret-0123456789abcdef0123456789';
  let server: TestServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startSuiteServer({ config: { http: { webClientDir }, admin: { token: undefined, jwt: { secret, audience: 'parley-admin' } } } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('offers only what is configured, and takes an admin JWT but not a user token', async () => {
    const page = await browser.newPage({ width: 1000, height: 700 });
    await page.goto(`http://127.0.0.1:${server.ports.http}/admin/`);
    const field = page.getByLabel('Admin JWT from the suite');
    await field.waitFor();
    expect(await page.getByLabel('Password').count()).toBe(0);
    await field.fill(await hs256Token('admin@example.com', { secret, audience: 'parley' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Not signed in: the token is not meant for this service');
    await field.fill(await hs256Token('admin@example.com', { secret, audience: 'parley-admin' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Served domains' }).waitFor();
  });
});
