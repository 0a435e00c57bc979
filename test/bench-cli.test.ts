// `npm run bench -- --help` prints the benchmark's options (issue 17: it crashed with a stack
// trace); a bad option or value is one line and the usage, exit status 2, before any server starts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function bench(...args: string[]) {
  return spawnSync(process.execPath, ['--import', './server/bin/typescript-loader.js', 'bench/run.ts', ...args],
    { cwd: root, encoding: 'utf8', timeout: 60_000 });
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
});
