// The admin console's Components screen in Chromium: add an external component (XEP-0114) with a
// generated secret, see a component that proves it listed as connected with its traffic, remove it
// and see its stream end (host-gone) — all on a running server; axe-core finds nothing serious on
// the screen. Screenshots go to PARLEY_SCREENSHOTS (default /tmp/admin-screens).
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeFindings } from '../helpers/axe.ts';
import { NS } from '@parley/shared';
import { launchBrowser, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { ADMIN_TOKEN, startSuiteServer } from '../helpers/suite.ts';
import { connectTcp } from '../helpers/raw-stream.ts';
import type { TestServer } from '../helpers/server.ts';

const screenshots = process.env.PARLEY_SCREENSHOTS ?? '/tmp/admin-screens';

/** The ids of axe's serious and critical findings in the page. */
async function seriousFindings(page: Page): Promise<string[]> {
  return (await axeFindings(page, 'components')).map((finding) => finding.id);
}

describe('the Components screen', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    server = await startSuiteServer({ config: { http: { webClientDir }, components: { port: 0 } } });
    browser = await launchBrowser();
    page = await browser.newPage({ width: 1200, height: 800 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('adds a component with a generated secret, lists it connected with its traffic, removes it live', async () => {
    await page.goto(`http://127.0.0.1:${server.ports.http}/admin/`);
    await page.getByLabel('Admin token', { exact: true }).fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).last().click();
    await page.getByRole('heading', { name: 'Served domains' }).waitFor();
    await page.getByRole('link', { name: 'Components' }).click();
    await page.getByRole('heading', { name: 'External components' }).waitFor();
    await page.getByText('No component is configured.').waitFor();

    await page.getByLabel('Domain', { exact: true }).fill('bot.example.com');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const secret = (await page.locator('[data-generated-secret] code').textContent())!.trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    await page.locator('tr[data-component="bot.example.com"]').getByText('Not connected').waitFor();

    // a component proves the secret on the port that opened for it
    expect(server.server.ports.component).toEqual(expect.any(Number));
    const component = await connectTcp(server.server.ports.component!);
    component.send(`<stream:stream xmlns='${NS.component}' xmlns:stream='${NS.stream}' to='bot.example.com'>`);
    const header = await component.next();
    if (header.kind !== 'header') throw new Error('expected the stream header');
    component.send(`<handshake>${createHash('sha1').update(header.attrs.id! + secret).digest('hex')}</handshake>`);
    await component.receive('handshake');
    component.send(`<message xmlns='${NS.component}' from='bot@bot.example.com' to='example.com'><body>hi</body></message>`);
    // the server has no use for a message to itself: an error comes back (one stanza each way)
    expect((await component.receive('message')).attrs.type).toBe('error');

    await page.reload();
    const row = page.locator('tr[data-component="bot.example.com"]');
    await row.getByText('Connected', { exact: true }).waitFor();
    await expect.poll(() => row.textContent()).toContain('1 in · 1 out');
    expect(await row.textContent()).toContain('127.0.0.1');
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'components.png'), fullPage: true });
    expect(await seriousFindings(page)).toEqual([]);

    await page.getByRole('button', { name: 'Remove bot.example.com' }).click();
    await page.getByText('Component bot.example.com removed.').waitFor();
    await page.getByText('No component is configured.').waitFor();
    await component.receiveStreamError('host-gone');
  });
});
