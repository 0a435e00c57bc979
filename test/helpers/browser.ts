// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the web client's
// end-to-end tests, and the built client served by a test server.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const webClientDir = join(root, 'dist/webclient');
export const chromiumPath = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

/** Build dist/webclient when it is missing or older than the client's (or shared) sources. */
export function ensureWebClientBuilt(): void {
  const index = join(webClientDir, 'index.html');
  const builtAt = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = [join(root, 'webclient/src'), join(root, 'webclient/public'), join(root, 'webclient/index.html'), join(root, 'webclient/admin'), join(root, 'shared/src')];
  if (builtAt > 0 && sources.every((path) => newestMtime(path) <= builtAt)) return;
  execFileSync('npm', ['run', 'build', '-w', '@parley/webclient'], { cwd: root, stdio: 'pipe' });
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export interface TestBrowser {
  browser: Browser;
  /** A fresh profile (own storage, own cookies) per call: one per simulated user. */
  newPage(options?: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; acceptSelfSigned?: boolean; locale?: string }): Promise<Page>;
  close(): Promise<void>;
}

/** `extraArgs`: more Chromium switches, e.g. --host-resolver-rules to reach the server by host name. */
export async function launchBrowser(extraArgs: string[] = []): Promise<TestBrowser> {
  // The flags the machine needs (polyglot.md): no sandbox as root, no background network calls.
  // playwright gives every launch a fresh, empty profile directory of its own (it refuses --user-data-dir).
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs,
    ],
  });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({
        viewport: { width: options.width ?? 1100, height: options.height ?? 720 },
        colorScheme: options.colorScheme ?? 'light',
        locale: options.locale ?? 'en-US',
        // The test server's HTTPS listener has a self-signed certificate.
        ignoreHTTPSErrors: options.acceptSelfSigned ?? false,
      });
      // Fail at the step that is stuck, well within the test's own timeout (30 s); a step can take
      // over 8 s when two test files run beside the browser on two busy cores (load 5-6)
      context.setDefaultTimeout(15_000);
      contexts.push(context);
      return context.newPage();
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
    },
  };
}

/** Sign in through the login form and wait for the panel to be online. */
export async function signIn(page: Page, baseUrl: string, jid: string, password: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('Address').fill(jid);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.panel[data-status="online"]').waitFor({ timeout: 10_000 });
}
