// The soak scenario: TCP load on one server for many minutes, sampled once a minute. The bar:
// the last minute keeps >= 95 % of the first minute's throughput, and memory stays flat.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { throughput, type ThroughputOptions, type ThroughputSample } from './scenarios.ts';
import type { BenchServer } from './server-process.ts';

export interface SoakSample extends ThroughputSample {
  /**
   * The highest server RSS seen in the minute (read every second). V8 lets garbage gather in its old
   * generation between major collections, so one reading a minute swings by hundreds of MB; the
   * peaks show whether memory grows.
   */
  peakRssBytes: number;
  /** The data folder on disk (the archive's database and its WAL, with the other stores). */
  dataBytes: number;
}

export interface SoakResult {
  samples: SoakSample[];
  /** The last window's delivered msgs/s against the first window's, in percent. */
  keptPercent: number;
  /**
   * Growth per hour of the minutes' peak RSS, fitted (least squares) over the second half of the
   * run: the first half includes the heap and SQLite's page cache filling up to their working size.
   */
  rssGrowthMbPerHour: number;
}

/** `minutes` may be a fraction of one (then there is one window). */
export async function soak(server: BenchServer, dataDir: string, options: ThroughputOptions, minutes: number,
  onSample: (sample: SoakSample) => void): Promise<SoakResult> {
  const samples: SoakSample[] = [];
  let peakRss = 0;
  const rssReader = setInterval(() => {
    peakRss = Math.max(peakRss, server.rssBytes());
  }, 1000);
  await throughput(server, 'tcp', {
    ...options,
    // a little more than the minutes, so that the last window's sample is taken before the run ends
    seconds: minutes * 60 + 1,
    // a minute each (a soak shorter than a minute, as in test/bench-cli.test.ts: one window)
    sampleSeconds: Math.min(60, minutes * 60),
    onSample: (sample) => {
      const withData = { ...sample, peakRssBytes: Math.max(peakRss, sample.serverRssBytes), dataBytes: folderBytes(dataDir) };
      peakRss = 0;
      samples.push(withData);
      onSample(withData);
    },
  }).finally(() => clearInterval(rssReader));
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const secondHalf = samples.slice(Math.floor(samples.length / 2));
  return {
    samples,
    keptPercent: Math.round((last.messagesPerSecond / first.messagesPerSecond) * 1000) / 10,
    rssGrowthMbPerHour: slopePerSecond(secondHalf.map((s) => [s.atSeconds, s.peakRssBytes / 1048576])) * 3600,
  };
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // a file can go between the listing and its stat (SQLite's -shm and -journal files)
    total += entry.isDirectory() ? folderBytes(path) : statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}

/** The least-squares slope of y over x (0 with fewer than two points). */
export function slopePerSecond(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}
