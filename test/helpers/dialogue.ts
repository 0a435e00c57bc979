// Dialogue tests: integration tests that read as the XMPP exchange itself, in the spirit of Prosody's
// scansion files (spec/scansion/*.scs):
//
//   const alice = await enter(server, aliceJid, { roster: true });
//   await alice.sends(`<presence type='subscribe' to='${bob.bare}'/>`);
//   await bob.receives(`<presence type='subscribe' from='${alice.bare}'/>`);
//   await bob.receivesNothing();
//
// Each party is a real client (@xmpp/client over TCP or WebSocket) whose incoming stanzas queue up
// in order. receives(a, b…) takes the next stanzas of the queue, as many as it is given, and each
// must match one of them (in any order within the call: write two calls to say which comes first);
// a stanza that matches none fails the test at once, showing what came. The comparison is
// structural with wildcards and captures (xml-match.ts). receivesNothing() makes a round trip to
// the server and then requires an empty queue. The helper's own iqs (the ping of that round trip,
// the roster request of enter()) and their answers stay out of the queue.
import type { Element } from '@xmpp/xml';
import { parse } from 'ltx';
import { expect } from 'vitest';
import type { TestServer } from './server.ts';
import { login, xml, type LoggedInClient, type Transport } from './clients.ts';
import { passwordOf } from './im.ts';
import { exactly, expectation, matchStanza, type Captures, type Expectation } from './xml-match.ts';

export { exactly, type Captures, type Expectation };

const TIMEOUT_MS = 5000;
let helperIds = 0;

export interface EnterOptions {
  transport?: Transport;
  resource?: string;
  /** The initial presence to send (default `<presence/>`), or false to stay unavailable. */
  presence?: string | false;
  /** Ask for the roster first, which makes the session an interested resource (RFC 6121 §2.1.6). */
  roster?: boolean;
}

export class Party {
  /** The bound full JID. */
  readonly jid: string;
  readonly bare: string;
  /** Sent initial presence (RFC 6121 §4.2) and did not go unavailable through the helpers. */
  available = false;
  /** Asked for the roster: gets roster pushes (RFC 6121 §2.1.6). */
  interested = false;
  private readonly queue: Element[] = [];
  private readonly helperRequests = new Set<string>();
  private wake: (() => void) | null = null;

  constructor(readonly client: LoggedInClient) {
    this.jid = client.jid;
    this.bare = client.jid.split('/')[0]!;
    client.xmpp.on('stanza', (stanza: Element) => {
      const id = stanza.attrs.id as string | undefined;
      if (stanza.is('iq') && id !== undefined && this.helperRequests.has(id) && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error')) {
        this.helperRequests.delete(id);
        return;
      }
      this.queue.push(stanza);
      this.wake?.();
    });
  }

  /** Sends a stanza written as XML. */
  async sends(stanza: string): Promise<void> {
    await this.client.xmpp.send(parse(stanza) as Element);
  }

  /** The next stanzas, one for each expected stanza (in any order); returns what they captured. */
  async receives(...expected: Array<string | Expectation>): Promise<Captures> {
    const wanted = expected.map(expectation);
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const arrived = this.queue.slice(0, wanted.length);
      for (const stanza of arrived) {
        if (!wanted.some((want) => matchStanza(want, stanza) !== null)) this.fail(wanted, `received a stanza that matches none of them: ${stanza.toString()}`);
      }
      if (arrived.length === wanted.length) {
        const captures = assign(wanted, arrived);
        if (!captures) this.fail(wanted, 'the stanzas received do not match them one for one');
        this.queue.splice(0, wanted.length);
        return captures;
      }
      if (!(await this.arrival(deadline))) this.fail(wanted, `nothing more arrived within ${TIMEOUT_MS} ms`);
    }
  }

  /**
   * Nothing else arrives: after `waitMs` (for what the server does on its own, e.g. when a session
   * ends) and a round trip on this stream, the queue is empty.
   */
  async receivesNothing(options: { waitMs?: number } = {}): Promise<void> {
    if (options.waitMs) await new Promise((resolve) => setTimeout(resolve, options.waitMs));
    await this.sync();
    expect(this.queue.map(String), `${this.jid} received more than the dialogue says`).toEqual([]);
  }

  /** A round trip to the server: whatever it sent this stream before has arrived. */
  async sync(): Promise<void> {
    await this.query(`<iq type='get' to='${this.bare.split('@')[1]}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  }

  /** An iq of the helper's own: its answer is returned, not queued (an error answer throws). */
  async query(iq: string): Promise<Element> {
    const element = parse(iq) as Element;
    const id = `dialogue-${++helperIds}`;
    element.attrs.id = id;
    this.helperRequests.add(id);
    return this.client.xmpp.iqCaller.request(element, TIMEOUT_MS);
  }

  stop(): Promise<void> {
    this.available = false;
    return this.client.stop();
  }

  private arrival(deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(false);
      }, Math.max(0, deadline - Date.now()));
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve(true);
      };
    });
  }

  private fail(wanted: Expectation[], why: string): never {
    const pending = this.queue.map((stanza) => `  ${stanza.toString()}`).join('\n') || '  (nothing)';
    throw new Error(`${this.jid} expected:\n${wanted.map((want) => `  ${want.text}`).join('\n')}\n${why}; unread:\n${pending}`);
  }
}

/** One stanza for each expectation (backtracking over the choices), with captures that agree. */
function assign(wanted: Expectation[], arrived: Element[]): Captures | null {
  const used = new Set<number>();
  const walk = (index: number, captures: Captures): Captures | null => {
    if (index === wanted.length) return captures;
    for (let i = 0; i < arrived.length; i++) {
      if (used.has(i)) continue;
      const matched = matchStanza(wanted[index]!, arrived[i]!, captures);
      if (!matched) continue;
      used.add(i);
      const done = walk(index + 1, matched);
      if (done) return done;
      used.delete(i);
    }
    return null;
  };
  return walk(0, {});
}

/**
 * Logs in (password from im.ts createUsers), asks for the roster when told, and sends initial
 * presence, receiving its reflection (RFC 6121 §4.2.2) before anything else.
 */
export async function enter(server: TestServer, jid: string, options: EnterOptions = {}): Promise<Party> {
  const client = await login(server, jid, passwordOf(jid), { transport: options.transport, resource: options.resource, presence: false });
  const party = new Party(client);
  if (options.roster) {
    await party.query(`<iq type='get'><query xmlns='jabber:iq:roster'/></iq>`);
    party.interested = true;
  }
  if (options.presence !== false) {
    await party.sends(options.presence ?? '<presence/>');
    await party.receives(`<presence from='${party.jid}' type='{absent}'/>`);
    party.available = true;
  }
  return party;
}

/** A roster push of the item for `contact` (RFC 6121 §2.1.6), in any state unless told. */
export function rosterPush(contact: string, attributes = ''): string {
  return `<iq type='set'><query xmlns='jabber:iq:roster'><item jid='${contact}' ${attributes}/></query></iq>`;
}

type Side = Party | Party[];
const parties = (side: Side): Party[] => (Array.isArray(side) ? side : [side]);

/**
 * `from` subscribes to the presence of `to` and `to` approves (RFC 6121 §3.1), each party receiving
 * what it is sent on the way. A side is the sessions of one account (the first one acts).
 */
export async function subscribeAndApprove(fromSide: Side, toSide: Side): Promise<void> {
  const from = parties(fromSide);
  const to = parties(toSide);
  const [fromBare, toBare] = [from[0]!.bare, to[0]!.bare];
  await from[0]!.sends(`<presence to='${toBare}' type='subscribe'/>`);
  for (const party of from) if (party.interested) await party.receives(rosterPush(toBare, "ask='subscribe'"));
  for (const party of to) if (party.available) await party.receives(`<presence from='${fromBare}' type='subscribe'/>`);
  await to[0]!.sends(`<presence to='${fromBare}' type='subscribed'/>`);
  for (const party of to) if (party.interested) await party.receives(rosterPush(fromBare));
  for (const party of from) {
    const expected: string[] = [];
    if (party.interested) expected.push(rosterPush(toBare, "ask='{absent}'"));
    if (party.available) {
      expected.push(`<presence from='${toBare}' type='subscribed'/>`);
      // §3.1.5: the contact's server sends the user the contact's current presence
      for (const resource of to) if (resource.available) expected.push(`<presence from='${resource.jid}' type='{absent}'/>`);
    }
    if (expected.length) await party.receives(...expected);
  }
}

/** A mutual subscription ('both'). */
export async function befriend(a: Side, b: Side): Promise<void> {
  await subscribeAndApprove(a, b);
  await subscribeAndApprove(b, a);
}

export async function leaveAll(...everyone: Party[]): Promise<void> {
  await Promise.all(everyone.map((party) => party.stop()));
}

export { xml };
