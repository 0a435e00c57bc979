// The upload scenario (XEP-0363): one 50 MB file PUT to the server over loopback and fetched back,
// with the server's RSS sampled during each transfer (the target: >= 200 MB/s each way, RSS up by
// no more than 16 MB: the file is streamed, never held). The client streams one reused buffer and
// counts what it reads, so the client costs little and holds nothing either.
import http from 'node:http';
import { Readable } from 'node:stream';
import { BenchClient } from './bench-client.ts';
import { BENCH_DOMAIN, BENCH_PASSWORD, startBenchServer } from './server-process.ts';

export interface TransferResult {
  direction: 'upload' | 'download';
  bytes: number;
  seconds: number;
  megabytesPerSecond: number;
  /** Highest server RSS during the transfer minus the RSS just before it. */
  rssGrowthBytes: number;
}

const CHUNK = 1024 * 1024;

export async function uploadBench(dataDir: string, serverCore: number | null, size: number): Promise<TransferResult[]> {
  const server = await startBenchServer(dataDir, serverCore, { upload: { maxFileSize: 4 * size, quotaBytes: 64 * size } });
  try {
    const client = new BenchClient({ host: '127.0.0.1', c2sPort: server.ports.c2s, c2sTlsPort: server.ports.c2sTls, httpPort: server.ports.http, domain: BENCH_DOMAIN }, 'tcp');
    await client.login('sender0', BENCH_PASSWORD, 'upload');
    const results: TransferResult[] = [];
    // a small transfer first: the routes, the store and the file system are warm when measuring
    await transfer(server, client, 64 * 1024);
    const measured = await transfer(server, client, size);
    results.push(...measured);
    client.close();
    return results;
  } finally {
    await server.stop();
  }
}

async function transfer(server: Awaited<ReturnType<typeof startBenchServer>>, client: BenchClient, size: number): Promise<TransferResult[]> {
  const { put, get } = await requestSlot(client, size);
  const upload = await sampled(server.rssBytes, () => putFile(server.ports.http, put, size));
  const download = await sampled(server.rssBytes, () => getFile(server.ports.http, get, size));
  return [
    { direction: 'upload', bytes: size, seconds: upload.seconds, megabytesPerSecond: size / 1e6 / upload.seconds, rssGrowthBytes: upload.rssGrowth },
    { direction: 'download', bytes: size, seconds: download.seconds, megabytesPerSecond: size / 1e6 / download.seconds, rssGrowthBytes: download.rssGrowth },
  ];
}

function requestSlot(client: BenchClient, size: number): Promise<{ put: URL; get: URL }> {
  return new Promise((resolve, reject) => {
    let text = '';
    client.onData = (chunk) => {
      text += chunk;
      const put = /<put url="([^"]+)"/.exec(text);
      const get = /<get url="([^"]+)"/.exec(text);
      if (put && get) resolve({ put: new URL(put[1]!.replaceAll('&amp;', '&')), get: new URL(get[1]!.replaceAll('&amp;', '&')) });
      else if (/type="error"/.test(text)) reject(new Error(`no slot: ${text}`));
    };
    client.send(`<iq type='get' id='slot-${size}' to='upload.${BENCH_DOMAIN}'><request xmlns='urn:xmpp:http:upload:0' filename='bench.bin' size='${size}' content-type='application/octet-stream'/></iq>`);
  });
}

/** Runs `work`, sampling the server's RSS every 20 ms. */
async function sampled(rss: () => number, work: () => Promise<void>): Promise<{ seconds: number; rssGrowth: number }> {
  const before = rss();
  let highest = before;
  const timer = setInterval(() => { highest = Math.max(highest, rss()); }, 20);
  const started = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  highest = Math.max(highest, rss());
  return { seconds, rssGrowth: highest - before };
}

/** The URLs name the served domain; the bench connects to 127.0.0.1 and sends that name as Host. */
function putFile(port: number, url: URL, size: number): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const length = Math.min(CHUNK, size - sent);
      sent += length;
      this.push(length === CHUNK ? chunk : chunk.subarray(0, length));
    },
  });
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1', port, method: 'PUT', path: `${url.pathname}${url.search}`,
      headers: { Host: url.host, 'Content-Length': String(size), 'Content-Type': 'application/octet-stream' },
    }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 201 ? resolve() : reject(new Error(`PUT answered ${response.statusCode}`))));
    });
    request.on('error', reject);
    body.pipe(request);
  });
}

function getFile(port: number, url: URL, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: url.pathname, headers: { Host: url.host } }, (response) => {
      let received = 0;
      response.on('data', (data: Buffer) => { received += data.length; });
      response.on('end', () => (response.statusCode === 200 && received === size ? resolve() : reject(new Error(`GET answered ${response.statusCode}, ${received} bytes`))));
    }).on('error', reject);
  });
}
