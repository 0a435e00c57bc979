// The TCP listener serves whatever stream kind its factory opens (client streams now, s2s later):
// bytes in and out, a per-address limit that refuses with the stream's own error, ALPN on direct TLS.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { CertificateStore } from '../tls/certificates.ts';
import type { AcceptedStream, Connection } from '../stream/connection.ts';
import { ConnectionCounter } from './connection-limits.ts';
import { listenTcp, type TcpListeners } from './tcp.ts';

/** A stream kind of its own: answers every chunk in upper case; refusals are written as text. */
class ShoutingStream implements AcceptedStream {
  constructor(private readonly connection: Connection) {}
  receive(text: string): void {
    this.connection.write(text.toUpperCase());
  }
  transportClosed(): void {}
  inputRejected(error: { condition: string }): void {
    this.streamError(error);
  }
  streamError(error: { condition: string }): void {
    this.connection.write(`refused: ${error.condition}`);
    this.connection.close();
  }
}

let listeners: TcpListeners | null = null;
let dir = '';
afterEach(async () => {
  await listeners?.close();
  listeners = null;
  if (dir) await rm(dir, { recursive: true, force: true });
});

function reply(socket: net.Socket, expected: string): Promise<string> {
  let text = '';
  return new Promise((resolve) => socket.on('data', (chunk) => {
    text += chunk.toString();
    if (text.includes(expected)) resolve(text);
  }));
}

describe('listenTcp', () => {
  it('opens the factory’s stream per connection, limits connections per address, speaks the ALPN protocol it is given', async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-tcp-'));
    const certificates = new CertificateStore({ certsDir: dir });
    await certificates.ensure('example.com');
    listeners = await listenTcp({
      bind: '127.0.0.1', port: 0, tlsPort: 0, alpnProtocols: ['xmpp-server'],
      tls: { certificates, defaultName: () => 'example.com' }, perAddress: new ConnectionCounter(1),
      settings: { port: 'test.port', tlsPort: 'test.tlsPort' }, log: createLogger('silent'),
    }, (connection) => new ShoutingStream(connection));

    const first = net.connect(listeners.port, '127.0.0.1');
    const answered = reply(first, 'HELLO');
    first.write('hello');
    expect(await answered).toBe('HELLO');

    // the limit (1 per address) is shared by both ports: the second connection is refused by its stream
    const second = tls.connect({ port: listeners.tlsPort!, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['xmpp-server'] });
    await new Promise((resolve) => second.once('secureConnect', resolve));
    expect(second.alpnProtocol).toBe('xmpp-server');
    expect(await reply(second, 'refused')).toBe('refused: policy-violation');
    first.destroy();
    second.destroy();
  });
});
