// Runs the Smack Integration Test Framework (sinttest 4.5.0-beta5, Maven Central) against a Parley
// server through test/interop/src/main/java/parley/interop/SinttestLauncher.java on JDK 17.
// `.ci/run` fetches and builds it once (mvn dependency:go-offline, compile, build-classpath); this
// file builds it when that was not done or the launcher's sources changed.
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const target = join(here, 'target');
const classpathFile = join(target, 'classpath.txt');
const launcherClass = join(target, 'classes/parley/interop/SinttestLauncher.class');

export type Status = 'passed' | 'failed' | 'skipped';

export interface Outcome {
  status: Status;
  reason?: string;
  spec?: string;
  ms?: number;
}

export interface SinttestRun {
  smack: string;
  durationMs: number;
  tests: Record<string, Outcome>;
}

export interface SinttestOptions {
  host: string;
  port: number;
  domain: string;
  /** PEM of the server's certificate: the only one the launcher trusts. */
  certificatePem: string;
  /** Three pre-created accounts (localpart → password), or none: sinttest registers its own (XEP-0077). */
  accounts: Array<[string, string]>;
  /** How long sinttest waits for an answer (its default, 47 s, makes every missing feature slow). */
  replyTimeoutMs?: number;
  /** Test keys to run instead of all. */
  only?: string[];
  /** Java packages to scan for tests instead of sinttest's own. */
  packages?: string[];
  /** Smack's console debugger: every stanza in the log. */
  debug?: boolean;
  /** The JVM is killed after this long. */
  timeoutMs: number;
}

/** java-pinning's form of a certificate pin: the SHA-256 of its DER encoding. */
export function certificatePin(pem: string): string {
  return `CERTSHA256:${new X509Certificate(pem).fingerprint256.replaceAll(':', '')}`;
}

/** Compiles the launcher and writes its classpath when missing or older than its sources (uses Maven's local repository). */
export function prepareSinttest(): void {
  if (existsSync(launcherClass) && existsSync(classpathFile) && newestSource() <= statSync(launcherClass).mtimeMs) return;
  const args = ['-q', '-B', '-f', join(here, 'pom.xml'), 'compile', 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`];
  // offline first (CI prepared the repository), then online
  let result = spawnSync('mvn', ['-o', ...args], { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) result = spawnSync('mvn', args, { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) {
    throw new Error(`could not build the sinttest launcher (mvn exited with ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

function newestSource(): number {
  let newest = statSync(join(here, 'pom.xml')).mtimeMs;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(join(here, 'src'));
  return newest;
}

/**
 * Runs the suite once and returns every test's outcome. The launcher's output goes to
 * test/interop/target/last-run.log (and the results to last-run.json) for a closer look.
 */
export async function runSinttest(options: SinttestOptions): Promise<SinttestRun> {
  prepareSinttest();
  const work = mkdtempSync(join(tmpdir(), 'parley-sinttest-'));
  const resultsFile = join(work, 'results.json');
  const logFile = join(target, 'last-run.log');
  mkdirSync(target, { recursive: true });
  const properties: Record<string, string> = {
    'parley.host': options.host,
    'parley.port': String(options.port),
    'parley.domain': options.domain,
    'parley.pin': certificatePin(options.certificatePem),
    'parley.accounts': options.accounts.map(([user, password]) => `${user}:${password}`).join(','),
    'parley.results': resultsFile,
    'parley.replyTimeoutMs': String(options.replyTimeoutMs ?? 10_000),
    'parley.only': (options.only ?? []).join(','),
    'parley.debug': String(options.debug ?? false),
    'parley.packages': (options.packages ?? []).join(','),
    // one line per log record
    'java.util.logging.SimpleFormatter.format': '%4$s %5$s%6$s%n',
  };
  const classpath = `${join(target, 'classes')}:${readFileSync(classpathFile, 'utf8').trim()}`;
  const child = spawn('java', [
    '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true',
    ...Object.entries(properties).map(([name, value]) => `-D${name}=${value}`),
    '-cp', classpath, 'parley.interop.SinttestLauncher',
  ], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    tail.push(...chunk.toString('utf8').split('\n'));
    tail.splice(0, Math.max(0, tail.length - 60));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  try {
    const exit = await new Promise<{ code: number | null; timedOut: boolean }>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: null, timedOut: true });
      }, options.timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, timedOut: false });
      });
    });
    await new Promise((resolve) => log.end(resolve));
    const started = tail.filter((line) => line.endsWith(' Start')).at(-1);
    if (exit.timedOut) {
      throw new Error(`sinttest did not finish within ${options.timeoutMs / 1000} s (last started: ${started ?? 'none'}); see ${logFile}:\n${tail.join('\n')}`);
    }
    if (exit.code !== 0 || !existsSync(resultsFile)) {
      throw new Error(`the sinttest launcher exited with ${exit.code}; see ${logFile}:\n${tail.join('\n')}`);
    }
    copyFileSync(resultsFile, join(target, 'last-run.json'));
    return JSON.parse(readFileSync(resultsFile, 'utf8')) as SinttestRun;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}
