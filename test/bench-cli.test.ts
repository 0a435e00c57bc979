// `npm run bench -- --help` prints the benchmark's options (issue 17: it crashed with a stack
// trace); a bad option or value is one line and the usage, exit status 2, before any server starts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function bench(...args: string[]) {
  return spawnSync(process.execPath, ['--import', './server/bin/typescript-loader.js', 'bench/run.ts', ...args],
    { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

describe('the benchmark command line', () => {
  it('--help lists every option with what it does and its default, and exits 0', () => {
    const result = bench('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run bench -- \[options\]/);
    expect(result.stdout).toMatch(/--seconds VALUE +measured seconds per throughput run \(default 10\)/);
    expect(result.stdout).toMatch(/--scenarios VALUE +comma-separated: tcp, tls, websocket, bosh, idle, soak, archive/);
    expect(result.stdout).toContain('--no-archive');
    expect(result.stdout).toContain('--help, -h');
    expect(result.stdout).not.toContain('Parley benchmark:'); // nothing was run
    expect(result.stderr).toBe('');
  });

  it('an unknown option or a value that is not a number: one line and the usage, exit status 2, no stack trace', () => {
    for (const [args, message] of [[['--bogus'], "bench: Unknown option '--bogus'"], [['--seconds', 'ten'], "bench: --seconds takes a number, not 'ten'"]] as const) {
      const result = bench(...args);
      expect(result.status).toBe(2);
      expect(result.stderr.split('\n')[0]).toContain(message);
      expect(result.stderr).toContain('Usage: npm run bench');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    }
  });

  it('the soak scenario prints one row per window and the last window against the first', () => {
    // 6 s of TCP load with the default archive, 5 pairs: one window (a minute each in a real soak)
    const result = bench('--scenarios', 'soak', '--soak-minutes', '0.1', '--pairs', '5', '--no-pin');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('soak tcp, 0.1 min, archive sqlite:');
    const row = /\| 6 s \| ([\d,]+) \| ([\d,]+) \| [\d.]+ ms \| (\d+) MB \| (\d+) MB \| ([\d.]+) GB \|/.exec(result.stdout);
    expect(row).not.toBeNull();
    const [delivered, rss, peak] = [row![1]!, row![3]!, row![4]!].map((n) => Number(n.replaceAll(',', '')));
    expect(delivered).toBeGreaterThan(100);
    expect(peak).toBeGreaterThanOrEqual(rss);
    expect(result.stdout).toMatch(/soak tcp: the last minute kept 100 % of the first minute's throughput; peak server RSS over the second half \+0\.0 MB per hour/);
  }, 130_000);
});
