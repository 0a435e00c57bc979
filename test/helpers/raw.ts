// A raw socket that speaks bytes to the server, for bad-input tests the real clients never send.
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';

export interface RawConnection {
  send(data: string): void;
  /** Wait until everything received so far matches (substring or RegExp). */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
  received(): string;
  upgradeTls(servername?: string): Promise<void>;
  close(): void;
}

function waiter(read: () => string, closed: Promise<void>) {
  return (pattern: string | RegExp, timeoutMs = 5000) => new Promise<string>((resolve, reject) => {
    const matches = () => (typeof pattern === 'string' ? read().includes(pattern) : pattern.test(read()));
    const started = Date.now();
    const poll = () => {
      if (matches()) return resolve(read());
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${pattern}; got: ${read()}`));
      setTimeout(poll, 5);
    };
    poll();
    void closed;
  });
}

export async function rawTcp(port: number, options: { tls?: boolean; servername?: string } = {}): Promise<RawConnection> {
  let buffer = '';
  let socket: net.Socket = await new Promise((resolve, reject) => {
    const s = options.tls
      ? tls.connect({ host: '127.0.0.1', port, servername: options.servername, rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'] }, () => resolve(s))
      : net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => { markClosed = resolve; });
  const listen = (s: net.Socket) => {
    s.setEncoding('utf8');
    s.on('data', (text: string) => { buffer += text; });
    s.on('close', () => markClosed());
    s.on('error', () => {});
  };
  listen(socket);
  return {
    send: (data) => socket.write(data),
    waitFor: waiter(() => buffer, closed),
    closed,
    received: () => buffer,
    upgradeTls: (servername) => new Promise((resolve, reject) => {
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      const secure = tls.connect({ socket, servername, rejectUnauthorized: false }, () => resolve());
      secure.once('error', reject);
      socket = secure;
      listen(secure);
    }),
    close: () => socket.destroy(),
  };
}

export async function rawWebSocket(port: number, protocol: string | string[] = 'xmpp', path = '/xmpp-websocket'): Promise<RawConnection & { frames: string[]; socket: WebSocket }> {
  const frames: string[] = [];
  const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocol);
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => { markClosed = resolve; });
  socket.on('message', (data) => frames.push(data.toString()));
  socket.on('close', () => markClosed());
  socket.on('error', () => markClosed());
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const read = () => frames.join('\n');
  return {
    frames,
    socket,
    send: (data) => socket.send(data),
    waitFor: waiter(read, closed),
    closed,
    received: read,
    upgradeTls: () => Promise.reject(new Error('no STARTTLS on WebSocket')),
    close: () => socket.close(),
  };
}
