// The upload scenario (XEP-0363): one 50 MB file PUT to the server over loopback and fetched back,
// with the server's RSS sampled during each transfer (the target: >= 200 MB/s each way, RSS up by
// no more than 16 MB: the file is streamed, never held). The client streams one reused buffer and
// counts what it reads (both ways), so the client costs little and holds nothing either.
import http from 'node:http';
import net from 'node:net';
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
  /** CPU time the server used during the transfer (user + system): near `seconds` means the server is the limit. */
  serverCpuSeconds: number;
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
  const upload = await sampled(server, () => putFile(server.ports.http, put, size));
  const download = await sampled(server, () => getFile(server.ports.http, get, size));
  const result = (direction: TransferResult['direction'], run: Awaited<ReturnType<typeof sampled>>): TransferResult => ({
    direction, bytes: size, seconds: run.seconds, megabytesPerSecond: size / 1e6 / run.seconds, rssGrowthBytes: run.rssGrowth, serverCpuSeconds: run.cpuSeconds,
  });
  return [result('upload', upload), result('download', download)];
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

/** Runs `work`, sampling the server's RSS every 20 ms, and the server's CPU time it took. */
async function sampled(server: { rssBytes(): number; cpuSeconds(): number }, work: () => Promise<void>): Promise<{ seconds: number; rssGrowth: number; cpuSeconds: number }> {
  const rss = () => server.rssBytes();
  const cpuBefore = server.cpuSeconds();
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
  return { seconds, rssGrowth: highest - before, cpuSeconds: server.cpuSeconds() - cpuBefore };
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

/**
 * The GET on a plain socket that reads into one reused buffer (net's onread: up to 1 MiB a read, no
 * allocation per read), so that the client is not what limits the figure: Node's HTTP client reads
 * 64 KiB at a time and makes a Buffer and an event of each, which on a loaded machine is slower than
 * the server. The answer is checked: status 200 and exactly `size` bytes of body.
 */
function getFile(port: number, url: URL, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let head = '';
    let body = -1;
    let expected = -1;
    const readBuffer = Buffer.allocUnsafe(1024 * 1024);
    const socket = net.connect({
      host: '127.0.0.1', port,
      onread: {
        buffer: readBuffer,
        callback: (bytes) => {
          if (body < 0) {
            head += readBuffer.toString('latin1', 0, bytes);
            const end = head.indexOf('\r\n\r\n');
            if (end === -1) return true;
            const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
            expected = Number(/\r\ncontent-length: *(\d+)/i.exec(head.slice(0, end))?.[1] ?? -1);
            if (status !== '200' || expected !== size) {
              socket.destroy();
              reject(new Error(`GET answered ${status}, Content-Length ${expected}`));
              return false;
            }
            body = head.length - end - 4;
          } else {
            body += bytes;
          }
          if (body >= expected) {
            socket.destroy();
            if (body === expected) resolve();
            else reject(new Error(`GET sent ${body} bytes of body, ${expected} announced`));
          }
          return true;
        },
      },
    });
    socket.on('error', reject);
    socket.on('close', () => { if (body < expected) reject(new Error(`GET ended after ${body} of ${expected} bytes`)); });
    socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  });
}
