// A bound raw TCP session for the fuzz tests: sends whatever text the test gives it and reads the
// server's replies as they come (ltx's SAX parser, not the server's), so a test can wait for the
// answer to one stanza and see every element, stream error and footer the server sent.
import { Element } from 'ltx';
import SaxLtx from 'ltx/lib/parsers/ltx.js';
import { NS } from '@parley/shared';
import { connectTcp, openBoundSession, type TcpPeer } from '../helpers/raw-stream.ts';

const STREAM_ROOT = `<stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}'>`;

export type Wait = Element | 'closed' | 'timeout';

export class FuzzPeer {
  /** Every top-level element the server sent since the session was bound. */
  readonly received: Element[] = [];
  /** The server's </stream:stream>. */
  footer = false;
  closed = false;
  /** Set when what the server sent is not well-formed XML. */
  serverXmlError: string | null = null;
  private readonly wakeups = new Set<() => void>();
  private barriers = 0;

  private constructor(private readonly peer: TcpPeer, readonly jid: string) {}

  /** Logs in with SCRAM-SHA-1 (on a plaintext-on-loopback server) and binds `resource`. */
  static async open(port: number, username: string, password: string, resource: string): Promise<FuzzPeer> {
    const peer = await connectTcp(port);
    const { jid } = await openBoundSession(peer, username, password, resource);
    const fuzzPeer = new FuzzPeer(peer, jid);
    fuzzPeer.listen(STREAM_ROOT); // the server's stream header was read during the login
    return fuzzPeer;
  }

  /** A connection on which nothing was sent yet: the server's own stream header opens what is read. */
  static async connect(port: number): Promise<FuzzPeer> {
    const fuzzPeer = new FuzzPeer(await connectTcp(port), '');
    fuzzPeer.listen('');
    return fuzzPeer;
  }

  get bare(): string {
    return this.jid.slice(0, this.jid.indexOf('/'));
  }

  /** The <stream:error/> the server ended the stream with, if any. */
  get streamError(): Element | undefined {
    return this.received.find((element) => element.name === 'stream:error');
  }

  send(data: string | Buffer): void {
    if (!this.closed) this.peer.socket.write(data);
  }

  /** Resolves when the connection closes, or after `timeoutMs`; true if it closed. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    return (await this.waitFor(() => false, this.received.length, timeoutMs)) === 'closed';
  }

  /** The first element received at or after `from` that matches, else 'closed' or 'timeout'. */
  async waitFor(match: (element: Element) => boolean, from: number, timeoutMs: number): Promise<Wait> {
    const deadline = Date.now() + timeoutMs;
    for (let at = from; ;) {
      for (; at < this.received.length; at++) if (match(this.received[at]!)) return this.received[at]!;
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, left);
        const wakeups = this.wakeups;
        function wake() {
          clearTimeout(timer);
          wakeups.delete(wake);
          resolve();
        }
        this.wakeups.add(wake);
      });
    }
  }

  /**
   * A ping to the server (XEP-0199) and what became of it: the session handles its stanzas in order,
   * so once it is answered, everything sent before has been handled.
   */
  async ping(domain: string, timeoutMs: number): Promise<'answered' | 'closed' | 'timeout'> {
    const id = `barrier-${++this.barriers}`;
    const from = this.received.length;
    this.send(`<iq type='get' id='${id}' to='${domain}'><ping xmlns='${NS.ping}'/></iq>`);
    const answer = await this.waitFor((element) => element.name === 'iq' && element.attrs.id === id, from, timeoutMs);
    return typeof answer === 'string' ? answer : 'answered';
  }

  destroy(): void {
    this.peer.destroy();
  }

  private listen(header: string): void {
    const socket = this.peer.socket;
    socket.removeAllListeners('data'); // the raw-stream transcript is not needed any more
    const parser = new SaxLtx();
    let root: Element | null = null;
    let cursor: Element | null = null;
    parser.on('startElement', (name: string, attrs: Record<string, string>) => {
      const element = new Element(name, attrs);
      if (!root) root = element;
      else if (cursor !== root) cursor!.cnode(element);
      cursor = element;
    });
    parser.on('endElement', () => {
      if (cursor === root) {
        this.footer = true;
        return this.wake();
      }
      if (cursor!.parent) {
        cursor = cursor!.parent as Element;
        return;
      }
      this.received.push(cursor!);
      cursor = root;
      this.wake();
    });
    parser.on('text', (text: string) => {
      if (cursor && cursor !== root) cursor.t(text);
    });
    parser.on('error', (error: Error) => {
      this.serverXmlError ??= error.message;
    });
    if (header) parser.write(header);
    socket.on('data', (text: string) => parser.write(text));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const wake of [...this.wakeups]) wake();
  }
}
