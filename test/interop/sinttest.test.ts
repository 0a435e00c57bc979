// The public interop suite: the Smack Integration Test Framework (the suite the XSF's interop
// testing runs against Openfire, ejabberd, Prosody and Tigase) against a fresh Parley, over TCP with
// STARTTLS and the server's self-signed certificate pinned. Every test's outcome is compared with the
// committed baseline (test/interop/baseline.json).
//
//   PARLEY_INTEROP_UPDATE=1 npx vitest run test/interop/sinttest.test.ts   records this run as the baseline
//                                                                          (and the README's totals)
//   PARLEY_INTEROP_ONLY=smackx.ping.PingIntegrationTest.pingServer,…       runs and compares only those
//   PARLEY_INTEROP_DEBUG=1                                                 every stanza in target/last-run.log
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';
import { freePortBelowEphemeral } from '../helpers/ports.ts';
import { runSinttest, type SinttestOptions, type SinttestRun } from './sinttest.ts';
import { compare, describeChange, readBaseline, totalsBlock, totalsOf, writeBaseline, README_FILE } from './baseline.ts';

const DOMAIN = 'example.org';
/**
 * sinttest's accounts: none created beforehand, it registers its three main accounts and a fresh one
 * for every low-level test by XEP-0077 in-band registration (open on the test domain, and a rate
 * limit that lets one address register a whole run's accounts).
 */
const ACCOUNTS: Array<[string, string]> = [];
/** The whole run takes about 30 s here; a hung test must not hang `npm test`. */
const RUN_TIMEOUT_MS = 5 * 60_000;
const only = (process.env.PARLEY_INTEROP_ONLY ?? '').split(',').map((key) => key.trim()).filter(Boolean);
const update = process.env.PARLEY_INTEROP_UPDATE === '1';

let server: TestServer;

beforeAll(async () => {
  // HTTP upload URLs name the loopback address (example.org does not resolve here)
  const httpPort = await freePortBelowEphemeral();
  server = await startServer({
    domains: [DOMAIN],
    config: {
      modules: { register: { domains: [DOMAIN], perAddressPerMinute: 1000 } },
      // sinttest keeps one connection unauthenticated for the whole run, to register the accounts of
      // each low-level test on it: the default 30 s (RFC 6120 §4.9.3.4 connection-timeout) would
      // drop it midway
      limits: { authTimeoutSeconds: RUN_TIMEOUT_MS / 1000 },
      http: { port: httpPort, tlsPort: -1 },
      upload: { baseUrl: `http://127.0.0.1:${httpPort}` },
    },
  });
});

afterAll(async () => {
  await server?.stop();
});

/** A run of the launcher against the test server. */
function run(options: Pick<SinttestOptions, 'only' | 'packages' | 'debug'> = {}): Promise<SinttestRun> {
  return runSinttest({
    host: '127.0.0.1',
    port: server.ports.c2s,
    domain: DOMAIN,
    certificatePem: readFileSync(join(server.dataDir, 'certs', `${DOMAIN}.crt`), 'utf8'),
    accounts: ACCOUNTS,
    timeoutMs: RUN_TIMEOUT_MS,
    ...options,
  });
}

it('the launcher records a test that aborts sinttest\'s run as failed and still runs the others', async () => {
  const { tests } = await run({ packages: ['parley.interop.selftest'] });
  const selftest = 'parley.interop.selftest';
  expect(tests).toEqual({
    [`${selftest}.AbortingIntegrationTest.aPassesBefore`]: expect.objectContaining({ status: 'passed' }),
    [`${selftest}.AbortingIntegrationTest.bAbortsTheRun`]: expect.objectContaining({
      status: 'failed', reason: "aborted sinttest's run: IllegalStateException: No field named muc#roomconfig_maxusers",
    }),
    [`${selftest}.AbortingIntegrationTest.cPassesAfter`]: expect.objectContaining({ status: 'passed' }),
    [`${selftest}.BrokenConstructorIntegrationTest.neverRuns`]: expect.objectContaining({
      status: 'failed', reason: "aborted sinttest's run: IllegalArgumentException: this constructor always throws",
    }),
  });
}, RUN_TIMEOUT_MS);

it('sinttest: no test that passes in the baseline regresses, and every new pass is recorded', async () => {
  const baseline = readBaseline();
  let suite = await run({ only, debug: process.env.PARLEY_INTEROP_DEBUG === '1' });
  // Some sinttest tests race with the clean-up of the one before (EntityCapsTest's unsubscriptions
  // against IoTControlIntegrationTest's roster check): a test that passes in the baseline and fails
  // here is run once more on its own before it counts as a regression.
  const suspects = compare(baseline, suite, only).regressions.map((change) => change.key);
  const flaky: string[] = [];
  if (suspects.length > 0) {
    const retry = await run({ only: suspects });
    for (const key of suspects) {
      if (retry.tests[key]?.status !== 'passed') continue;
      flaky.push(`  ${key}: ${suite.tests[key]?.reason ?? suite.tests[key]?.status ?? 'absent'}`);
      suite = { ...suite, tests: { ...suite.tests, [key]: retry.tests[key] } };
    }
  }
  const totals = totalsOf(suite.tests);
  const lines = [
    `sinttest (Smack ${suite.smack}) took ${(suite.durationMs / 1000).toFixed(1)} s — passed ${totals.passed} · failed ${totals.failed} · skipped ${totals.skipped}`,
    ...Object.entries(suite.tests).filter(([, outcome]) => outcome.status === 'failed')
      .map(([key, outcome]) => `  failed ${key}: ${outcome.reason ?? ''}`),
  ];
  if (flaky.length > 0) lines.push('failed in the whole run but passed alone (flaky):', ...flaky);
  if (update && only.length === 0) {
    writeBaseline(suite);
    console.log(`${lines.join('\n')}\nbaseline written: test/interop/baseline.json and README.md`);
    return;
  }
  const { regressions, improvements, others } = compare(baseline, suite, only);
  if (others.length > 0) lines.push('changed (not a regression):', ...others.map(describeChange));
  console.log(lines.join('\n'));
  expect.soft(regressions.map(describeChange), 'tests that pass in test/interop/baseline.json no longer pass').toEqual([]);
  expect.soft(improvements.map(describeChange),
    'tests pass that test/interop/baseline.json does not record as passing: raise the baseline with ' +
    'PARLEY_INTEROP_UPDATE=1 npx vitest run test/interop/sinttest.test.ts').toEqual([]);
}, 2 * RUN_TIMEOUT_MS + 60_000);

it('the README shows the baseline totals', () => {
  expect(readFileSync(README_FILE, 'utf8')).toContain(totalsBlock(readBaseline()));
});
