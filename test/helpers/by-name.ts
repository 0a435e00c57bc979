// Clients that reach a loopback test server by host name, the way a browser reaches a real one: the
// name resolves to 127.0.0.1 (a lookup instead of DNS), and TLS SNI and the Host header carry it.
import type { LookupFunction } from 'node:net';
import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import WebSocket from 'ws';

/** Every name resolves to 127.0.0.1. */
export const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if (options.all) (callback as unknown as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

export interface NamedReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Subject CN of the certificate the server chose ('' over plain HTTP). */
  certificate: string;
}

/** An HTTP(S) request to `url` (e.g. https://example.net:5281/): SNI and Host name its host. */
export function requestByName(url: string, init: { method?: string; body?: string | Buffer; headers?: Record<string, string>} = {}): Promise<NamedReply> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const request = (secure ? https : http).request(url, {
      method: init.method ?? 'GET', headers: init.headers, lookup: loopbackLookup, rejectUnauthorized: false, agent: false,
    }, (response) => {
      const certificate = secure ? String((response.socket as tls.TLSSocket).getPeerCertificate().subject?.CN ?? '') : '';
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString(), certificate }));
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

/** A ws:// or wss:// connection to `url` by name (subprotocol xmpp); resolves once open, with the text frames it gets. */
export async function webSocketByName(url: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket; frames: string[]; certificate: string }> {
  const socket = new WebSocket(url, 'xmpp', { lookup: loopbackLookup, rejectUnauthorized: false, headers });
  const frames: string[] = [];
  socket.on('message', (data) => frames.push(data.toString()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
  const tlsSocket = (socket as unknown as { _socket: tls.TLSSocket })._socket;
  return { socket, frames, certificate: String(tlsSocket.getPeerCertificate?.().subject?.CN ?? '') };
}

/** Resolves when `frames` holds one matching `pattern`. */
export async function frameMatching(frames: string[], pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const frame = frames.find((candidate) => pattern.test(candidate));
    if (frame) return frame;
    if (Date.now() - started > timeoutMs) throw new Error(`no frame matching ${pattern}; got: ${frames.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
