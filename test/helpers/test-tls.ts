// Test servers present self-signed certificates. Each test connection says that it accepts them,
// never the whole process: NODE_TLS_REJECT_UNAUTHORIZED=0 would turn certificate checks off for
// every connection of a test worker (and Node warns about it once per worker).
import type net from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Client } from '@xmpp/client';
import XmppTlsSocket from '@xmpp/tls/lib/Socket.js';
import XmppWebSocketSocket from '@xmpp/websocket/lib/Socket.js';
import WebSocket from 'ws';

/** The TLS options of a connection to a test server (node:tls, https, ws). */
export const TEST_SERVER_TLS = { rejectUnauthorized: false } as const;

/** Plain sockets of clients that accept the test certificate when they upgrade (STARTTLS). */
const acceptingSockets = new WeakSet<object>();

// @xmpp/client 0.14 takes no TLS options: direct TLS (xmpps:) and the STARTTLS upgrade both open
// their TLS socket through this connect(); a connection marked here gets TEST_SERVER_TLS, every
// other one keeps Node's defaults.
const connect = XmppTlsSocket.prototype.connect;
XmppTlsSocket.prototype.connect = function connectAcceptingTestCertificate(options) {
  const accepts = options.socket !== undefined && acceptingSockets.has(options.socket);
  connect.call(this, accepts ? { ...options, ...TEST_SERVER_TLS } : options);
};

// Over wss:, @xmpp/websocket opens `new WebSocket(url, ['xmpp'])` (the global one, without TLS
// options): a client marked here gets a `ws` WebSocket with TEST_SERVER_TLS instead.
const connectWebSocket = XmppWebSocketSocket.prototype.connect;
XmppWebSocketSocket.prototype.connect = function connectWebSocketAcceptingTestCertificate(url: string) {
  if (!url.startsWith('wss:') || !acceptingSockets.has(this)) return connectWebSocket.call(this, url);
  this.url = url;
  this.secure = true;
  this._attachSocket(new WebSocket(url, ['xmpp'], TEST_SERVER_TLS));
};

interface ClientInternals {
  socketParameters(service: string): unknown;
  _attachSocket(socket: net.Socket): void;
}

/** This @xmpp/client accepts the test server's certificate, over direct TLS, after STARTTLS and over wss:. */
export function acceptTestCertificate<C extends Client>(xmpp: C): C {
  const internals = xmpp as unknown as ClientInternals;
  const parameters = internals.socketParameters.bind(internals);
  // direct TLS: the options tls.connect gets
  internals.socketParameters = (service) => {
    const found = parameters(service);
    return service.startsWith('xmpps:') && typeof found === 'object' ? { ...found, ...TEST_SERVER_TLS } : found;
  };
  // STARTTLS: the plain socket the upgrade wraps; wss: the @xmpp/websocket socket
  const attach = internals._attachSocket.bind(internals);
  internals._attachSocket = (socket) => {
    acceptingSockets.add(socket);
    attach(socket);
  };
  return xmpp;
}

/**
 * fetch() for a test server's URL: over https, node:https with TEST_SERVER_TLS (Node's fetch takes
 * no TLS options); plain http goes to fetch itself.
 */
export async function fetchTestServer(url: string, init: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
  if (!url.startsWith('https:')) return fetch(url, init);
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: init.method ?? 'GET', headers: init.headers, signal: init.signal, agent: false, ...TEST_SERVER_TLS }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const each of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, each);
        }
        resolve(new Response(Buffer.concat(chunks), { status: incoming.statusCode ?? 0, headers }));
      });
    });
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}

/** The certificate (its SHA-256) a new TLS connection to a server's c2s direct TLS port is given for `servername`. */
export function presentedFingerprint(server: { ports: { c2sTls?: number | null } }, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: server.ports.c2sTls!, servername, ...TEST_SERVER_TLS, ALPNProtocols: ['xmpp-client'] }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}
