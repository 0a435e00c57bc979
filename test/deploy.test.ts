// Running as a service (issue 17): deploy/parley.service passes `systemd-analyze verify`, runs as an
// unprivileged user with the data folder outside the checkout and needs no capability for the
// default ports; its ExecStart command line starts and stops (SIGTERM) as such a user.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../server/src/config.ts';
import { SERVER_NODE_FLAGS } from '../server/bin/node-flags.js';

const root = join(import.meta.dirname, '..');
const unitFile = join(root, 'deploy/parley.service');
const unit = readFileSync(unitFile, 'utf8');

/** The values of `Key=` lines in the unit, in order. */
function settings(key: string): string[] {
  return unit.split('\n').filter((line) => line.startsWith(`${key}=`)).map((line) => line.slice(key.length + 1));
}

const systemdAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
/** Running as another user (setpriv) takes root, as in CI. */
const asRoot = process.getuid?.() === 0;

describe('the node flags of the server (server/bin/node-flags.js)', () => {
  it('are the same in parley.js\'s shebang, `npm start` and the unit\'s ExecStart', () => {
    const flags = SERVER_NODE_FLAGS.join(' ');
    expect(readFileSync(join(root, 'server/bin/parley.js'), 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
    expect(scripts.start).toBe(`exec node ${flags} server/bin/parley.js start`);
    expect(settings('ExecStart')[0]).toContain(`/usr/bin/node ${flags} `);
  });

  it('give the server the young generation they name when parley.js runs by its shebang', () => {
    // parley.js run as a program (as npx and a shell run it): node gets the flags of its first line
    const child = spawnSync(join(root, 'server/bin/parley.js'), ['--help'], {
      encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--require ' + join(root, 'test/helpers/print-exec-argv.cjs') },
    });
    expect(child.status).toBe(0);
    expect(child.stderr).toContain(`execArgv ${JSON.stringify(SERVER_NODE_FLAGS)}`);
  });
});

describe('deploy/parley.service', () => {
  // systemd-analyze verifies a unit offline (no systemd as PID 1 needed): syntax, every setting
  // known, the ExecStart binary executable. Debian's `systemd` package has it (.ci/run installs it).
  it.skipIf(!systemdAnalyze)('passes systemd-analyze verify without a warning', () => {
    const verified = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    expect(verified.stderr + verified.stdout).toBe('');
    expect(verified.status).toBe(0);
  });

  it('runs as an unprivileged user, with the data folder outside the checkout, and without any capability', () => {
    expect(settings('User')).toEqual(['parley']);
    expect(settings('StateDirectory')).toEqual(['parley']);
    expect(settings('Environment')).toContain('PARLEY_DATA=/var/lib/parley');
    expect(settings('ExecStart')[0]).toBe(`/usr/bin/node ${SERVER_NODE_FLAGS.join(' ')} /opt/parley/server/bin/parley.js --config /etc/parley/parley.json start`);
    expect(settings('AmbientCapabilities')).toEqual(['']);
    expect(settings('CapabilityBoundingSet')).toEqual(['']);
    expect(settings('NoNewPrivileges')).toEqual(['yes']);
    expect(settings('KillSignal')).toEqual(['SIGTERM']);
  });

  it('needs no capability because every default port is above 1023 (docs/running-as-a-service.md)', () => {
    const defaults = configSchema.parse({});
    const ports = [defaults.c2s.port, defaults.c2s.tlsPort, defaults.s2s.port, defaults.http.port, defaults.http.tlsPort, defaults.components.port];
    expect(ports).toEqual([5222, 5223, 5269, 5280, 5281, 5347]);
    for (const port of ports) expect(port).toBeGreaterThan(1023);
    const docs = readFileSync(join(root, 'docs/running-as-a-service.md'), 'utf8');
    for (const port of ports) expect(docs).toContain(String(port));
  });

  it.skipIf(!asRoot)('its ExecStart starts as an unprivileged user (nobody) on a data folder outside the checkout and stops on SIGTERM', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-service-'));
    const nobody = 65534;
    chownSync(dataDir, nobody, nobody);
    const configFile = join(dataDir, 'parley.json');
    writeFileSync(configFile, JSON.stringify({ bind: '127.0.0.1', domains: ['example.com'], c2s: { port: 0, tlsPort: -1 }, http: { port: 0, tlsPort: -1 }, s2s: { port: 0 } }));
    try {
      // the unit's command line and environment, with the checkout, the data folder and the config where this test has them
      const [command, ...args] = settings('ExecStart')[0]!
        .replaceAll('/opt/parley', root).replace('/etc/parley/parley.json', configFile).split(' ');
      const environment = Object.fromEntries(settings('Environment').map((entry) => entry.replace('/var/lib/parley', dataDir).split('=') as [string, string]));
      const child = spawn('setpriv', ['--reuid', String(nobody), '--regid', String(nobody), '--clear-groups', command!, ...args], {
        env: { PATH: process.env.PATH, ...environment }, stdio: ['ignore', 'pipe', 'pipe'], cwd: dataDir,
      });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => { output += text; });
      child.stderr.setEncoding('utf8').on('data', (text: string) => { output += text; });
      const ended = new Promise<void>((resolve) => child.stdout.once('end', () => resolve()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await expect.poll(() => output.includes('"event":"listening"') || child.exitCode !== null, { timeout: 30_000 }).toBe(true);
      expect(output).toContain('"event":"listening"');
      // its state is in the data folder, owned by the user and private (0700 / 0600)
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const database = join(dataDir, 'parley.db');
      expect(existsSync(database)).toBe(true);
      expect(statSync(database).uid).toBe(nobody);
      expect(statSync(database).mode & 0o777).toBe(0o600);
      child.kill('SIGTERM');
      await ended;
      expect(await exited).toBe(0);
      expect(JSON.parse(output.trim().split('\n').at(-1)!)).toMatchObject({ event: 'stopped' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
