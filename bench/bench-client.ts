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

/** XEP-0198 on a bench client: the stanzas it handled, answered to the server's <r/>. */
const STANZA_START = /<(?:message|presence|iq)[\s>\/]/g;
const ACK_REQUEST = "<r xmlns='urn:xmpp:sm:3'/>";

export class BenchClient {
  jid = '';
  /** XEP-0198 resumption id once stream management is enabled with resumption. */
  resumptionId = '';
  /** Stanzas handled since <enabled/> (the client's 'h'). */
  handled = 0;
  private streamManagement = false;
  /** The end of the last chunk, for a stanza start or an <r/> split between chunks. */
  private tail = '';
  /** Called with every chunk once bound (the bench counts messages in it). */
  onData: (text: string) => void = () => {};
  private wire!: Wire;
  private buffer = '';
  private waiting: { pattern: RegExp; resolve: (match: RegExpExecArray) => void; reject: (e: Error) => void } | null = null;
  private bound = false;

  constructor(private readonly target: BenchTarget, private readonly transport: BenchTransport) {}

  /**
   * Authenticates, then binds `resource` — or, with `resume`, resumes that XEP-0198 session instead;
   * returns the milliseconds from <resume/> to <resumed/> then.
   */
  async login(username: string, password: string, resource: string, resume?: { previd: string; h: number }): Promise<number> {
    this.wire = await connect(this.target, this.transport);
    this.wire.onData((text) => {
      if (this.bound) {
        if (this.streamManagement) this.countAndAck(text);
        return this.onData(text);
      }
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
    if (resume) {
      const sent = performance.now();
      this.wire.send(`<resume xmlns='urn:xmpp:sm:3' previd='${resume.previd}' h='${resume.h}'/>`);
      const answer = await this.expect(/<resumed [^>]*>|<failed[^]*?<\/failed>/);
      const took = performance.now() - sent;
      if (!answer[0].startsWith('<resumed')) throw new Error(`resumption failed: ${answer[0]}`);
      this.resumptionId = resume.previd;
      this.handled = resume.h;
      this.streamManagement = true;
      this.buffer = '';
      this.bound = true;
      return took;
    }
    this.wire.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const bound = await this.expect(/<jid>([^<]+)<\/jid>/);
    this.jid = bound[1]!;
    this.buffer = '';
    this.bound = true;
    return 0;
  }

  /** XEP-0198 §3, right after binding: <enable/>, and from then on every <r/> is answered. */
  async enableStreamManagement(resume: boolean): Promise<void> {
    this.bound = false;
    this.wire.send(`<enable xmlns='urn:xmpp:sm:3'${resume ? " resume='true'" : ''}/>`);
    const enabled = await this.expect(/<enabled [^>]*>/);
    this.resumptionId = /id="([^"]+)"/.exec(enabled[0])?.[1] ?? '';
    const rest = this.buffer;
    this.buffer = '';
    this.streamManagement = true;
    this.bound = true;
    if (rest) {
      this.countAndAck(rest);
      this.onData(rest);
    }
  }

  private countAndAck(text: string): void {
    const data = this.tail + text;
    STANZA_START.lastIndex = 0;
    for (let match = STANZA_START.exec(data); match; match = STANZA_START.exec(data)) {
      // a start that ends in the previous chunk's tail was counted with that chunk
      if (match.index + match[0].length > this.tail.length) this.handled = (this.handled + 1) % 2 ** 32;
    }
    const request = data.indexOf(ACK_REQUEST, Math.max(0, this.tail.length - ACK_REQUEST.length + 1));
    if (request !== -1) this.wire.send(`<a xmlns='urn:xmpp:sm:3' h='${this.handled}'/>`);
    this.tail = data.slice(-ACK_REQUEST.length);
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
