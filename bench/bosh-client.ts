// The load generator's BOSH client (XEP-0124/0206): long-polling with hold=1 over keep-alive HTTP
// connections, at most two requests open (one held, one carrying stanzas), stanzas queued in
// between and sent together. Works on strings, like bench-client.ts.
import http from 'node:http';
import { randomInt } from 'node:crypto';
import { scramMechanism } from '@parley/shared/sasl/scram';
import { decodePayload, encodePayload } from '@parley/shared/sasl/encoding';
import { benchSaltedPasswords } from './server-process.ts';
import type { BenchTarget } from './bench-client.ts';

const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
/** requests='2' (XEP-0124 §11): one held by the server, one to push stanzas. */
const MAX_OPEN = 2;

/** Shared by all clients: keep-alive sockets, as many as the open requests need. */
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, scheduling: 'lifo' });

export class BoshBenchClient {
  jid = '';
  /** Called with the payloads of every response once bound (the bench counts messages in them). */
  onData: (text: string) => void = () => {};
  private sid = '';
  private rid = randomInt(1_000_000, 2 ** 40);
  private open = 0;
  private queue = '';
  private bound = false;
  private closed = false;
  private readonly path: string;

  constructor(private readonly target: BenchTarget) {
    this.path = '/http-bind';
  }

  async login(username: string, password: string, resource: string): Promise<void> {
    const domain = this.target.domain;
    const created = await this.request(`<body xmlns='${NS_HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh' rid='${this.rid}' to='${domain}' ` +
      `wait='60' hold='1' ver='1.11' xml:lang='en' xmpp:version='1.0'/>`);
    this.sid = /\ssid='([^']+)'/.exec(created)?.[1] ?? '';
    if (!this.sid) throw new Error(`no BOSH session: ${created}`);
    const scram = scramMechanism('SHA-256', username, password, undefined, { saltedPasswords: benchSaltedPasswords });
    const challenge = /<challenge[^>]*>([^<]*)<\/challenge>/.exec(
      await this.request(this.body(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>${encodePayload(await scram.initial())}</auth>`)));
    if (!challenge) throw new Error('SASL failed');
    const response = encodePayload(await scram.challenge(decodePayload(challenge[1]!)));
    const success = /<success[^>]*>([^<]*)<\/success>/.exec(
      await this.request(this.body(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${response}</response>`)));
    if (!success) throw new Error('SASL failed');
    await scram.success(decodePayload(success[1]!));
    // XEP-0206 §5: restart, then bind
    await this.request(this.body('', ` to='${domain}' xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true'`));
    const bound = /<jid>([^<]+)<\/jid>/.exec(await this.request(this.body(
      `<iq type='set' id='bind' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`)));
    if (!bound) throw new Error('bind failed');
    this.jid = bound[1]!;
    this.bound = true;
    this.pump();
  }

  /** Queue a stanza; it leaves with the next request that can be opened. */
  send(data: string): void {
    this.queue += data;
    if (this.bound) this.pump();
  }

  close(): void {
    this.closed = true;
  }

  /** Keep one request held at the server, and push queued stanzas on a second one. */
  private pump(): void {
    while (!this.closed && this.open < MAX_OPEN && (this.queue !== '' || this.open === 0)) {
      const payload = this.queue;
      this.queue = '';
      this.open++;
      this.request(this.body(payload)).then((text) => {
        this.open--;
        const start = text.indexOf('>') + 1;
        if (start > 0 && text.length > start + 7) this.onData(text.slice(start, -7));
        this.pump();
      }, () => {
        this.open--;
      });
    }
  }

  private body(payload: string, attributes = ''): string {
    const head = `<body xmlns='${NS_HTTPBIND}' rid='${++this.rid}' sid='${this.sid}'${attributes}`;
    return payload === '' ? `${head}/>` : `${head}>${payload}</body>`;
  }

  private request(body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const request = http.request({
        host: this.target.host, port: this.target.httpPort, path: this.path, method: 'POST', agent,
        headers: { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) },
      }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => { text += chunk; });
        response.on('end', () => {
          if (text.includes("type='terminate'")) return reject(new Error(`BOSH session terminated: ${text}`));
          resolve(text);
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  }
}
