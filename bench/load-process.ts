// One load generator process of bench/cluster.ts: its share of the pairs against the given ports,
// printing "measuring" when its measured seconds start and its result as the last line (JSON).
import { throughput, type LoadTransport } from './scenarios.ts';
import type { BenchServer } from './server-process.ts';

interface LoadJob {
  senders: BenchServer['ports'];
  receivers: BenchServer['ports'];
  transport: LoadTransport;
  firstPair: number;
  pairs: number;
  inFlight: number;
  warmupSeconds: number;
  seconds: number;
}

const job = JSON.parse(process.argv[2]!) as LoadJob;
const unmeasured = () => Number.NaN;
const server = { pid: 0, ports: job.senders, rssBytes: unmeasured, cpuSeconds: unmeasured, mainThreadCpuSeconds: unmeasured, stop: async () => {} };
let cpuAtStart: NodeJS.CpuUsage | null = null;
let cpuSeconds = 0;
const result = await throughput(server, job.transport, {
  pairs: job.pairs, inFlight: job.inFlight, warmupSeconds: job.warmupSeconds, seconds: job.seconds, firstPair: job.firstPair,
  receiverServer: { ports: job.receivers },
  onMeasuring: () => {
    cpuAtStart = process.cpuUsage();
    // the measured window's CPU, taken when it ends (before the sessions log out)
    setTimeout(() => {
      const used = process.cpuUsage(cpuAtStart!);
      cpuSeconds = (used.user + used.system) / 1e6;
    }, job.seconds * 1000).unref();
    console.log('measuring');
  },
});
if (cpuSeconds === 0 && cpuAtStart) {
  const used = process.cpuUsage(cpuAtStart);
  cpuSeconds = (used.user + used.system) / 1e6;
}
console.log(JSON.stringify({ delivered: result.delivered, messagesPerSecond: result.messagesPerSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpuSeconds }));
process.exit(0);
