// The committed per-test sinttest baseline (test/interop/baseline.json): what passes today, what
// fails and why. A run fails when a test the baseline records as passing does not pass, and when a
// test passes that the baseline does not record as passing (raise the baseline: PARLEY_INTEROP_UPDATE=1).
// A test marked "flaky" (with the reason: a race inside Smack, not the server) may pass or fail;
// the mark is written by hand and kept when the baseline is raised.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Outcome, SinttestRun, Status } from './sinttest.ts';

export const BASELINE_FILE = fileURLToPath(new URL('./baseline.json', import.meta.url));
export const README_FILE = fileURLToPath(new URL('../../README.md', import.meta.url));
const TOTALS_START = '<!-- interop-totals: generated from test/interop/baseline.json -->';
const TOTALS_END = '<!-- /interop-totals -->';

export interface Baseline {
  smack: string;
  totals: Record<Status, number>;
  tests: Record<string, Omit<Outcome, 'ms'> & { flaky?: string }>;
}

export interface Change {
  key: string;
  was: Status | 'absent';
  now: Outcome | undefined;
}

export interface Comparison {
  /** Passed in the baseline, not now. */
  regressions: Change[];
  /** Passes now, not in the baseline. */
  improvements: Change[];
  /** Any other change of status (failed ↔ skipped, tests that appeared or went away). */
  others: Change[];
}

export function readBaseline(): Baseline {
  return JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as Baseline;
}

export function baselineOf(run: SinttestRun, previous?: Baseline): Baseline {
  const tests: Baseline['tests'] = {};
  for (const key of Object.keys(run.tests).sort()) {
    const { status, reason, spec } = run.tests[key]!;
    const flaky = previous?.tests[key]?.flaky;
    tests[key] = { status, ...(status !== 'passed' && reason ? { reason } : {}), ...(spec ? { spec } : {}), ...(flaky ? { flaky } : {}) };
  }
  return { smack: run.smack.split(' ')[0]!, totals: totalsOf(tests), tests };
}

export function totalsOf(tests: Record<string, { status: Status }>): Record<Status, number> {
  const totals: Record<Status, number> = { passed: 0, failed: 0, skipped: 0 };
  for (const { status } of Object.values(tests)) totals[status]++;
  return totals;
}

/** Compares a run with the baseline; with `only`, just those tests. */
export function compare(baseline: Baseline, run: SinttestRun, only: string[] = []): Comparison {
  const comparison: Comparison = { regressions: [], improvements: [], others: [] };
  const keys = only.length > 0 ? only : [...new Set([...Object.keys(baseline.tests), ...Object.keys(run.tests)])].sort();
  for (const key of keys) {
    const was = baseline.tests[key]?.status ?? 'absent';
    const now = run.tests[key];
    if (was === (now?.status ?? 'absent')) continue;
    // a known race: passing or failing is no change
    if (baseline.tests[key]?.flaky && (was === 'passed' || was === 'failed') && (now?.status === 'passed' || now?.status === 'failed')) continue;
    const change = { key, was, now };
    if (was === 'passed') comparison.regressions.push(change);
    else if (now?.status === 'passed') comparison.improvements.push(change);
    else comparison.others.push(change);
  }
  return comparison;
}

export function describeChange(change: Change): string {
  const now = change.now ? `${change.now.status}${change.now.reason ? `: ${change.now.reason}` : ''}` : 'absent';
  return `  ${change.key} (was ${change.was}, now ${now})`;
}

/** The README's totals line. */
export function totalsLine(baseline: Baseline): string {
  const { passed, failed, skipped } = baseline.totals;
  return `Smack ${baseline.smack}, TCP with STARTTLS: **${passed} passed, ${failed} failed, ${skipped} skipped** ` +
    `of ${passed + failed + skipped} tests.`;
}

export function totalsBlock(baseline: Baseline): string {
  return `${TOTALS_START}\n${totalsLine(baseline)}\n${TOTALS_END}`;
}

/** Writes the run as the new baseline and its totals into the README. */
export function writeBaseline(run: SinttestRun): Baseline {
  const baseline = baselineOf(run, readBaseline());
  writeFileSync(BASELINE_FILE, `${JSON.stringify(baseline, null, 2)}\n`);
  const readme = readFileSync(README_FILE, 'utf8');
  const start = readme.indexOf(TOTALS_START);
  const end = readme.indexOf(TOTALS_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TOTALS_START} … ${TOTALS_END} block`);
  writeFileSync(README_FILE, readme.slice(0, start) + totalsBlock(baseline) + readme.slice(end + TOTALS_END.length));
  return baseline;
}
