// A minimal, fast XMPP client for the load generator: logs in with SCRAM-SHA-256, then works on
// raw strings (no XML tree), so that the client side costs as little as possible.
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import { scramMechanism } from '@parley/shared/sasl/scram';
import { decodePayload, encodePayload } from '@parley/shared/sasl/encoding';
import { benchSaltedPasswords } from './server-process.ts';

export type BenchTransport = 'tcp' | 'tls' | 'websocket';

export interface BenchTarget {
  host: string;
  c2sPort: number;
  c2sTlsPort: number;
  httpPort: number;
  domain: string;
}

interface Wire {
  send(data: string): void;
  onData(listener: (text: string) => void): void;
  close(): void;
}

export class BenchClient {
  jid = '';
  /** Called with every chunk once bound (the bench counts messages in it). */
  onData: (text: string) => void = () => {};
  private wire!: Wire;
  private buffer = '';
  private waiting: { pattern: RegExp; resolve: (match: RegExpExecArray) => void; reject: (e: Error) => void } | null = null;
  private bound = false;

  constructor(private readonly target: BenchTarget, private readonly transport: BenchTransport) {}

  async login(username: string, password: string, resource: string): Promise<void> {
    this.wire = await connect(this.target, this.transport);
    this.wire.onData((text) => {
      if (this.bound) return this.onData(text);
      this.buffer += text;
      this.check();
    });
    const ws = this.transport === 'websocket';
    const open = () => this.wire.send(ws
      ? `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='${this.target.domain}' version='1.0'/>`
      : `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${this.target.domain}' version='1.0'>`);
    open();
    await this.expect(/<\/stream:features>/);
    const scram = scramMechanism('SHA-256', username, password, undefined, { saltedPasswords: benchSaltedPasswords });
    this.wire.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>${encodePayload(await scram.initial())}</auth>`);
    const challenge = await this.expect(/<challenge[^>]*>([^<]*)<\/challenge>|<failure/);
    if (!challenge[1]) throw new Error(`SASL failed: ${this.buffer}`);
    const response = encodePayload(await scram.challenge(decodePayload(challenge[1])));
    this.wire.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${response}</response>`);
    const success = await this.expect(/<success[^>]*>([^<]*)<\/success>|<failure/);
    if (success[1] === undefined) throw new Error(`SASL failed: ${this.buffer}`);
    await scram.success(decodePayload(success[1]));
    open();
    await this.expect(/<\/stream:features>/);
    this.wire.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const bound = await this.expect(/<jid>([^<]+)<\/jid>/);
    this.jid = bound[1]!;
    this.buffer = '';
    this.bound = true;
  }

  send(data: string): void {
    this.wire.send(data);
  }

  close(): void {
    this.wire.close();
  }

  private expect(pattern: RegExp): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      this.waiting = { pattern, resolve, reject };
      this.check();
    });
  }

  private check(): void {
    if (!this.waiting) return;
    const match = this.waiting.pattern.exec(this.buffer);
    if (!match) return;
    this.buffer = this.buffer.slice(match.index + match[0].length);
    const { resolve } = this.waiting;
    this.waiting = null;
    resolve(match);
  }
}

function connect(target: BenchTarget, transport: BenchTransport): Promise<Wire> {
  if (transport === 'websocket') {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://${target.host}:${target.httpPort}/xmpp-websocket`, 'xmpp', { perMessageDeflate: false });
      socket.once('error', reject);
      socket.once('open', () => resolve({
        send: (data) => socket.send(data),
        onData: (listener) => socket.on('message', (data: Buffer) => listener(data.toString())),
        close: () => socket.terminate(),
      }));
    });
  }
  return new Promise((resolve, reject) => {
    const socket: net.Socket = transport === 'tls'
      ? tls.connect({ host: target.host, port: target.c2sTlsPort, servername: target.domain, rejectUnauthorized: false }, () => ready())
      : net.connect({ host: target.host, port: target.c2sPort }, () => ready());
    const ready = () => {
      socket.setNoDelay(true);
      socket.setEncoding('utf8');
      resolve({
        send: (data) => socket.write(data),
        onData: (listener) => socket.on('data', listener),
        close: () => socket.destroy(),
      });
    };
    socket.once('error', reject);
  });
}
