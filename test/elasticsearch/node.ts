// A real single-node Elasticsearch on loopback for the archive tests and the benchmark: the OSS
// node from Maven Central (org.codelibs:elasticsearch-cluster-runner 7.10.2.0) run in one JVM by
// test/elasticsearch/src/main/java/parley/ElasticsearchNode.java. `.ci/run` builds it once
// (mvn dependency:go-offline, compile, build-classpath); this file builds it if that was not done.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePortBelowEphemeral } from '../helpers/ports.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const classes = join(here, 'target/classes');
const classpathFile = join(here, 'target/classpath.txt');
/** The Elasticsearch version the pom runs; the npm client's major must match. */
export const ELASTICSEARCH_VERSION = '7.10.2';
const START_TIMEOUT_MS = 180_000;

export interface ElasticsearchNode {
  url: string;
  httpPort: number;
  dataDir: string;
  /** The JVM's process id while it runs (the benchmark reads its CPU time). */
  pid(): number | null;
  /** Stops the node cleanly. */
  stop(): Promise<void>;
  /** Kills the JVM at once (an outage), keeping its data folder. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder (after kill). */
  restart(): Promise<void>;
  /** Stops the node and removes its data folder. */
  dispose(): Promise<void>;
}

export interface ElasticsearchNodeOptions {
  /** JVM heap, e.g. '512m'. */
  heap?: string;
  /**
   * Run on every core, whatever the caller's CPU affinity: the bench pins itself to one core, which
   * a child inherits, so its Elasticsearch indexed on the load generator's core alone.
   */
  everyCore?: boolean;
}

/** Compiles the launcher and writes its classpath, once (uses Maven's local repository). */
export function prepareElasticsearch(): void {
  if (existsSync(join(classes, 'parley/ElasticsearchNode.class')) && existsSync(classpathFile)) return;
  const args = ['-q', '-f', join(here, 'pom.xml'), 'compile', 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`];
  // offline first (CI prepared the repository), then online
  let result = spawnSync('mvn', ['-o', ...args], { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) result = spawnSync('mvn', args, { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) {
    throw new Error(`could not build the Elasticsearch test node (mvn exited with ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

export async function startElasticsearch(options: ElasticsearchNodeOptions = {}): Promise<ElasticsearchNode> {
  prepareElasticsearch();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-es-'));
  const httpPort = await freePortBelowEphemeral(20_000);
  const transportPort = await freePortBelowEphemeral(20_000);
  let child: ChildProcess | null = null;

  const launch = async () => {
    child = await launchJvm(dataDir, httpPort, transportPort, options.heap ?? '512m', options.everyCore ?? false);
  };
  const waitExit = (signal: NodeJS.Signals | null, timeoutMs: number) => new Promise<void>((resolve) => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return resolve();
    const timer = setTimeout(() => running.kill('SIGKILL'), timeoutMs);
    running.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (signal) running.kill(signal);
    else running.stdin?.end(); // the launcher closes the node when its standard input ends
  });
  await launch();
  const node: ElasticsearchNode = {
    url: `http://127.0.0.1:${httpPort}`,
    httpPort,
    dataDir,
    pid: () => (child as ChildProcess | null)?.pid ?? null,
    stop: () => waitExit(null, 30_000),
    kill: () => waitExit('SIGKILL', 5000),
    restart: launch,
    async dispose() {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return node;
}

/**
 * The collector Elasticsearch 7.10 ships in its jvm.options for JDK 14 and later. Not the serial
 * collector: Elasticsearch's parent circuit breaker counts the heap's real usage, which a serial
 * collector lets grow to the top before it collects, so under bulk indexing the node answered 429
 * circuit_breaking_exception ("Data too large") to requests it had room for, and the store backed off.
 */
const GC_OPTIONS = ['-XX:+UseG1GC', '-XX:G1ReservePercent=25', '-XX:InitiatingHeapOccupancyPercent=30'];

function launchJvm(dataDir: string, httpPort: number, transportPort: number, heap: string, everyCore: boolean): Promise<ChildProcess> {
  const classpath = `${classes}:${readFileSync(classpathFile, 'utf8').trim()}`;
  // taskset execs java: the child's pid stays the JVM's (its CPU time is read from /proc). The
  // machine's cores, not os.availableParallelism(), which follows the caller's affinity.
  const [command, prefix] = everyCore ? ['taskset', ['-c', `0-${cpus().length - 1}`, 'java']] : ['java', []];
  const child = spawn(command, [...prefix,
    `-Xms${heap}`, `-Xmx${heap}`, ...GC_OPTIONS, '-Djava.awt.headless=true', '-Dlog4j2.disable.jmx=true',
    '-cp', classpath, 'parley.ElasticsearchNode', dataDir, String(httpPort), String(transportPort),
  ], { stdio: ['pipe', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > 200) output.shift();
  };
  createInterface({ input: child.stderr! }).on('line', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Elasticsearch did not start within ${START_TIMEOUT_MS / 1000} s:\n${output.join('\n')}`));
    }, START_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      keep(line);
      if (line.startsWith('PARLEY-ES-READY')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Elasticsearch exited with ${code} while starting:\n${output.join('\n')}`));
    });
  });
}

