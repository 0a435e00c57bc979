// Renders the archive search and history paging for looking at (not a test):
//   node --import ./server/bin/typescript-loader.js test/e2e/search-screenshots.ts [outDir]
// Sidebar width (320 px) and full window, light and dark, into /tmp/screens by default.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/server.ts';
import { ensureWebClientBuilt, launchBrowser, signIn, webClientDir } from '../helpers/browser.ts';
import { createUsers, online, passwordOf } from '../helpers/im.ts';
import { converse } from '../helpers/mam.ts';

const outDir = process.argv[2] ?? '/tmp/screens';
mkdirSync(outDir, { recursive: true });
ensureWebClientBuilt();

const server = await startServer({ config: { http: { webClientDir } } });
const base = `http://127.0.0.1:${server.ports.http}/`;
const [alice, bob, carol] = (await createUsers(server, ['alice', 'bob', 'carol'])) as [string, string, string];
const aliceXmpp = await online(server, alice);
const bobXmpp = await online(server, bob);
const carolXmpp = await online(server, carol);
const filler = Array.from({ length: 40 }, (_, i) => `Status update ${i + 1}: the build is green`);
await converse(bobXmpp, aliceXmpp, [
  'Did you book the train to Lyon for the conference?',
  ...filler.slice(0, 20),
  'The conference hotel in Lyon is next to the station, the rooms are small but fine. We should meet at the venue at nine, the keynote starts at half past and I would like to get good seats near the front for once.',
  ...filler.slice(20),
]);
await converse(aliceXmpp, bobXmpp, ['I booked it! Lyon on Thursday, back Saturday']);
await converse(carolXmpp, aliceXmpp, ['Are you going to the Lyon conference too?', 'lyonnaise potatoes for dinner?']);
await aliceXmpp.stop();

const browser = await launchBrowser();
const page = await browser.newPage({ width: 1100, height: 720 });
await signIn(page, base, alice, passwordOf(alice));
const box = page.getByRole('searchbox', { name: 'Search messages' });
await box.fill('lyon*');
await box.press('Enter');
await page.getByRole('region', { name: 'Search results' }).locator('.result').first().waitFor();
await shoot('search-results-light-full');
await page.getByRole('region', { name: 'Search results' }).locator('.result', { hasText: 'hotel' }).click();
await page.locator('.bubble.flash').waitFor();
await shoot('search-opened-light-full');
await page.emulateMedia({ colorScheme: 'dark' });
await shoot('search-opened-dark-full');
await page.getByRole('log').evaluate((element) => { element.scrollTop = 0; });
await page.getByText(/beginning of your conversation/).waitFor();
await shoot('history-beginning-dark-full');
await page.emulateMedia({ colorScheme: 'light' });
await box.fill('conference');
await box.press('Enter');
await page.getByRole('region', { name: 'Search results' }).getByText(/messages?$/).waitFor();
await shoot('search-scope-light-full');

await page.setViewportSize({ width: 320, height: 640 });
await page.getByRole('button', { name: 'Back to list' }).click().catch(() => {});
await shoot('search-results-light-320');
await page.emulateMedia({ colorScheme: 'dark' });
await shoot('search-results-dark-320');
await page.emulateMedia({ colorScheme: 'light' });
await page.getByRole('region', { name: 'Search results' }).locator('.result').first().click();
await page.locator('.bubble.flash').waitFor();
await shoot('search-opened-light-320');
await box.fill('zebra').catch(() => {});

for (const client of [bobXmpp, carolXmpp]) await client.stop();
await browser.close();
await server.stop();

async function shoot(name: string): Promise<void> {
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(outDir, `${name}.png`) });
  console.log('saved', join(outDir, `${name}.png`));
}
