// XEP-0198 stream management on TCP, TLS and WebSocket (BOSH has its own acks, XEP-0124 §9, and is
// not offered it): <enable/>, <r/>/<a h/>, and resumption. A session whose connection drops waits
// without a stream (the session-ending veto) until a new stream resumes it with its previd, or its
// time is up; then, or when it ends otherwise, the stanzas it never acknowledged are undeliverable
// there: messages go to another resource or offline storage (delivery-failed, RFC 6121 §8.5), iq
// requests get an error. Replies go through the session's stream, so they wait for the group
// commit like everything else written back (stream/output-gate.ts).
import { randomBytes } from 'node:crypto';
import { NS, StanzaError, StreamError, xml, type Element } from '@parley/shared';
import { z } from 'zod';
import { defineModule, type ModuleContext, type NegotiatingStream } from '../../core/module-api.ts';
import type { SessionHandle } from '../../core/origin.ts';
import { parseStanza } from '../lib/parse-stanza.ts';
import { COUNTER, StanzaCounter, parseH, type AckPolicy } from './counter.ts';
import { answerMoves, fetchFromNode, resumeFromNode, takeHandedOver } from './moving.ts';
import { detach } from '../../core/events.ts';

const options = z.object({
  /** §5: how long a dropped session waits for resumption when the client names no shorter 'max' (seconds). */
  resumptionTimeoutSeconds: z.number().int().min(1).default(300),
  /** The longest wait a client may ask for with <enable max/> (seconds). */
  maxResumptionTimeoutSeconds: z.number().int().min(1).default(300),
  /**
   * Unacknowledged stanzas a session may keep; past it the stream ends with resource-constraint.
   * Well above the offline queue (1,000 by default), so that a slow client catching up on a full
   * queue, or a browser tab behind a burst, is not cut off (ejabberd's max_ack_queue is 5,000 too).
   */
  maxUnacknowledged: z.number().int().min(10).default(5000),
  /**
   * Ask for an ack (<r/>) once this many stanzas wait for one… XEP-0198 §4 leaves the rate to the
   * server. Each round trip costs a read of the client's <a/> on a socket that otherwise only
   * receives: at every 10 stanzas that cost ~17 % of a busy server's delivered messages per CPU-second
   * (bench tcp --sm, medians of 6–10 runs), at every 50 within noise of no SM once the kept stanzas
   * die young (server/bin/node-flags.js); the delay below covers a quiet session.
   */
  requestAckEvery: z.number().int().min(1).default(50),
  /** …or this long after a stanza went out. */
  requestAckDelayMs: z.number().int().min(10).default(1000),
}).refine((o) => o.resumptionTimeoutSeconds <= o.maxResumptionTimeoutSeconds,
  { message: 'resumptionTimeoutSeconds must not exceed maxResumptionTimeoutSeconds' });
type Options = z.infer<typeof options>;
type SmContext = ModuleContext<Options>;


export const streamManagementModule = defineModule({
  name: 'stream-management',
  implements: [{ spec: 'XEP-0198', version: '1.6.3', status: 'complete', note: 'TCP, TLS and WebSocket; not over BOSH' }],
  options,
  register(ctx) {
    const policy: AckPolicy = {
      requestEvery: ctx.options.requestAckEvery,
      requestDelayMs: ctx.options.requestAckDelayMs,
      maxUnacknowledged: ctx.options.maxUnacknowledged,
      overflow: (session) => {
        ctx.log.info({ session: session.id }, 'too many unacknowledged stanzas: the session ends');
        if (session.attached) session.streamError(new StreamError('resource-constraint', 'too many unacknowledged stanzas'));
        else session.close();
      },
      keptWhileDetached: (session, stanza) => {
        detach(ctx.emit('stanza-kept', { session, stanza }), (err) => ctx.log.warn({ err, session: session.id }, 'stream management: stanza-kept failed'));
      },
    };
    // not over BOSH; not again on a session that enabled it or resumed inside SASL2 (XEP-0386 §3.2):
    // clients such as xmpp.js answer a feature with <resume/> or <enable/> whenever it is offered
    ctx.streamFeature(({ transport, session }) => transport === 'bosh' || session?.data.get(COUNTER) ? null : xml('sm', { xmlns: NS.sm }));
    ctx.nonza(NS.sm, 'enable', (session, element) => enable(ctx, policy, session, element));
    ctx.nonza(NS.sm, 'r', (session) => {
      const counter = session.data.get(COUNTER);
      if (!counter) return session.write(failed('unexpected-request'));
      session.write(`<a xmlns='${NS.sm}' h='${counter.handled}'/>`);
    });
    ctx.nonza(NS.sm, 'a', (session, element) => acknowledged(ctx, session, element));
    ctx.nonza(NS.sm, 'resume', (session) => session.write(failed('unexpected-request', 'the stream is bound already')));
    // §3: enabling needs a bound resource; §5: resuming replaces binding
    ctx.negotiationNonza(NS.sm, 'enable', (stream) => stream.sendNonza(failed('unexpected-request', 'bind a resource first')));
    ctx.negotiationNonza(NS.sm, 'r', (stream) => stream.sendNonza(failed('unexpected-request', 'bind a resource first')));
    ctx.negotiationNonza(NS.sm, 'a', (stream) => stream.sendNonza(failed('unexpected-request', 'bind a resource first')));
    ctx.negotiationNonza(NS.sm, 'resume', (stream, element) => resume(ctx, stream, element, policy));
    // in a cluster, a session waiting here may be resumed on another node (moving.ts)
    answerMoves(ctx);
    // XEP-0388 §6.4 / XEP-0198 §5: <resume/> inside a SASL2 <authenticate/>; the answer goes into <success/>
    ctx.sasl2Inline({
      xmlns: NS.sm,
      advertise: ({ transport }) => transport === 'bosh' ? null : xml('sm', { xmlns: NS.sm }),
      negotiate: async (requests, { account, stream }) => {
        const request = requests.find((element) => element.name === 'resume');
        if (!request) return null;
        // a session waiting on another node of the cluster is fetched from there (moving.ts)
        const elsewhere = ctx.sessionMoves ? waitingElsewhere(ctx, { account, transport: stream.transport }, request) : undefined;
        if (elsewhere) {
          const previd = request.attrs.previd!;
          const h = parseH(request.attrs.h)!;
          const fetched = await fetchFromNode(ctx, elsewhere, previd, h);
          if (fetched.kind === 'failed') return failed(fetched.condition, fetched.text, fetched.extra, fetched.h);
          // (what it sends now waits behind <success/>, which carries the <resumed/>)
          const taken = takeHandedOver(ctx, policy, stream.resumeMoved(elsewhere.jid), elsewhere, previd, h, fetched.state);
          taken.resend();
          return taken.resumed;
        }
        const outcome = takeOver(ctx, { account, transport: stream.transport, resume: (session) => stream.resume(session) }, request);
        if (outcome.kind === 'failed') return outcome.reply;
        resent(ctx, outcome.session, outcome.counter);
        return outcome.reply;
      },
    });
    // XEP-0386 §3.2: <enable/> inside a Bind 2 <bind/>; <enabled/> or <failed/> goes into <bound/>
    ctx.bind2Inline({
      var: NS.sm,
      available: ({ transport }) => transport !== 'bosh',
      enable: (requests, { session }) => {
        const request = requests.find((element) => element.name === 'enable');
        return request ? startCounting(ctx, policy, session, request) : null;
      },
    });
    // §5: a connection lost without a closing tag keeps a resumable session waiting
    ctx.on('session-ending', (ending) => {
      const counter = ending.session.data.get(COUNTER);
      if (!counter?.resumptionId || ending.reason.kind !== 'connection-lost') return;
      ending.veto();
      hibernate(ctx, ending.session, counter);
    });
    ctx.on('resource-unbind', ({ session }) => undeliverable(ctx, session));
  },
});

/** What a <resume/> comes to: the session taken over (its <resumed/>), or <failed/>. */
type TakeOver =
  | { kind: 'resumed'; reply: Element; session: SessionHandle; counter: StanzaCounter }
  | { kind: 'failed'; reply: Element };

/** The stream that asks to resume: its account and transport, and how it takes a session over. */
interface ResumingStream {
  readonly account: { bare: string };
  readonly transport: string;
  resume(session: SessionHandle): void;
}

/**
 * §5: a new stream takes over a waiting (or not yet dropped) session of its account, as a
 * negotiation nonza (after SASL) or inline in SASL2's <authenticate/>. Answers with <resumed/> and
 * the unacknowledged stanzas, or <failed/>.
 */
export function resume(ctx: SmContext, stream: NegotiatingStream, element: Element, policy?: AckPolicy): void {
  // a session waiting on another node of the cluster is fetched from there (moving.ts)
  const elsewhere = policy && ctx.sessionMoves ? waitingElsewhere(ctx, stream, element) : undefined;
  if (elsewhere) {
    void resumeFromNode(ctx, policy!, stream, elsewhere, element.attrs.previd!, parseH(element.attrs.h)!,
      (condition, text, extra, h) => stream.sendNonza(failed(condition, text, extra, h)));
    return;
  }
  const outcome = takeOver(ctx, stream, element);
  if (outcome.kind === 'failed') return stream.sendNonza(outcome.reply);
  outcome.session.write(outcome.reply);
  resent(ctx, outcome.session, outcome.counter);
}

/** The entry of a resumable session of the account held by another node, if the <resume/> names one. */
function waitingElsewhere(ctx: SmContext, stream: { readonly account: { bare: string }; readonly transport: string }, element: Element) {
  const previd = element.attrs.previd;
  if (stream.transport === 'bosh' || !previd || parseH(element.attrs.h) === null) return undefined;
  const entry = ctx.sessions.resources(stream.account.bare).find((candidate) => candidate.resumptionId === previd);
  return entry && !ctx.localSession(entry.sessionId) ? entry : undefined;
}

function takeOver(ctx: SmContext, stream: ResumingStream, element: Element): TakeOver {
  const refused = (condition: string, text?: string, extra?: Element, h?: number): TakeOver =>
    ({ kind: 'failed', reply: failed(condition, text, extra, h) });
  if (stream.transport === 'bosh') return refused('feature-not-implemented', 'not over BOSH');
  const previd = element.attrs.previd;
  const h = parseH(element.attrs.h);
  if (!previd || h === null) return refused('bad-request', "<resume/> needs previd and an unsigned 32-bit 'h'");
  // Only the account's own sessions are searched: another account's id is as unknown as a made-up one.
  const entry = ctx.sessions.resources(stream.account.bare).find((candidate) => candidate.resumptionId === previd);
  // (a session held by another node is fetched from there before this: waitingElsewhere)
  const session = entry ? ctx.localSession(entry.sessionId) : undefined;
  const counter = session?.data.get(COUNTER);
  if (!session || !counter) return refused('item-not-found', 'no session to resume with that id');
  const outcome = counter.acknowledge(h);
  if (outcome.kind === 'too-high') {
    session.close(); // what it kept goes to offline storage or another resource
    return refused('undefined-condition', undefined, countTooHigh(h, outcome.sent), counter.handled);
  }
  if (counter.hibernationTimer) clearTimeout(counter.hibernationTimer);
  counter.hibernationTimer = null;
  stream.resume(session);
  session.setResumption(counter.resumptionId, null);
  return { kind: 'resumed', reply: xml('resumed', { xmlns: NS.sm, h: String(counter.handled), previd }), session, counter };
}

/** §5: after <resumed/>, the stanzas the client did not acknowledge, again and in order (counted already). */
function resent(ctx: SmContext, session: SessionHandle, counter: StanzaCounter): void {
  for (const kept of counter.unacknowledgedStanzas()) session.write(kept.xml);
  counter.reattached();
  ctx.log.debug({ session: session.id, resent: counter.unacknowledged }, 'session resumed');
}

/** §3: <enable/> on a bound session, as a nonza. */
export function enable(ctx: SmContext, policy: AckPolicy, session: SessionHandle, element: Element): void {
  session.write(startCounting(ctx, policy, session, element));
}

/**
 * §3/§4: counting starts with the answer (<enabled/>, or <failed/>), which the caller sends first:
 * as a nonza, or inside Bind 2's <bound/> (XEP-0386 §3.2) ahead of everything the session is sent.
 */
function startCounting(ctx: SmContext, policy: AckPolicy, session: SessionHandle, element: Element): Element {
  if (session.data.get(COUNTER)) return failed('unexpected-request', 'stream management is enabled already');
  if (session.transport === 'bosh') return failed('feature-not-implemented', 'not over BOSH');
  const wantsResumption = element.attrs.resume === 'true' || element.attrs.resume === '1';
  const asked = Number(element.attrs.max);
  const maxSeconds = Number.isInteger(asked) && asked > 0
    ? Math.min(asked, ctx.options.maxResumptionTimeoutSeconds) : ctx.options.resumptionTimeoutSeconds;
  const resumptionId = wantsResumption ? randomBytes(18).toString('base64url') : null;
  const counter = new StanzaCounter(session, policy, resumptionId, maxSeconds);
  const enabled = xml('enabled', { xmlns: NS.sm, id: resumptionId ?? undefined, resume: resumptionId ? 'true' : undefined,
    max: resumptionId ? String(maxSeconds) : undefined });
  session.data.set(COUNTER, counter);
  session.acknowledgement = counter;
  if (resumptionId) session.setResumption(resumptionId, null);
  return enabled;
}

function acknowledged(ctx: SmContext, session: SessionHandle, element: Element): void {
  const counter = session.data.get(COUNTER);
  if (!counter) return session.write(failed('unexpected-request'));
  const h = parseH(element.attrs.h);
  if (h === null) return session.streamError(new StreamError('bad-format', "'h' must be an unsigned 32-bit integer"));
  const outcome = counter.acknowledge(h);
  if (outcome.kind === 'stale') ctx.log.debug({ session: session.id, h }, 'an ack that does not move forward: ignored');
  else if (outcome.kind === 'too-high') {
    session.streamError(new StreamError('undefined-condition', 'the client acknowledged more stanzas than were sent',
      countTooHigh(h, outcome.sent)));
  }
}

function hibernate(ctx: SmContext, session: SessionHandle, counter: StanzaCounter): void {
  counter.stop();
  const until = Date.now() + counter.maxSeconds * 1000;
  session.setResumption(counter.resumptionId, until);
  counter.hibernationTimer = setTimeout(() => {
    counter.hibernationTimer = null;
    if (session.attached || session.ended) return;
    ctx.log.debug({ session: session.id }, 'resumption time is up: the session ends');
    session.close();
  }, counter.maxSeconds * 1000);
  counter.hibernationTimer.unref?.();
}

/**
 * The session ended with stanzas it never acknowledged: RFC 6121 §8.5 for each — messages to
 * another resource or offline storage (the offline module's delivery-failed), iq requests answered
 * with an error (RFC 6121 §8.5.3.2.1: the resource is gone); stored copies (offline messages) stay
 * stored for the next session.
 */
function undeliverable(ctx: SmContext, session: SessionHandle): void {
  const counter = session.data.get(COUNTER);
  if (!counter) return;
  counter.stop();
  session.data.delete(COUNTER);
  session.acknowledgement = null;
  for (const kept of counter.drain()) {
    if (kept.receipt !== null) {
      kept.receipt.undelivered?.(); // a stored copy stays stored; a forwarded one goes to this node's fallback
      continue;
    }
    if (kept.xml.startsWith('<iq')) {
      const iq = parseStanza(kept.xml);
      const type = iq?.attrs.type;
      if (iq && (type === 'get' || type === 'set')) void ctx.router.bounce(iq, new StanzaError('service-unavailable'), session);
    } else if (kept.xml.startsWith('<message')) {
      detach(ctx.emit('delivery-failed', { session, stanza: kept.xml }), (err) => ctx.log.warn({ err, session: session.id }, 'stream management: delivery-failed failed'));
    }
  }
}

/** §4 <failed/>: a stanza error condition, 'h' when the server knows it. */
function failed(condition: string, text?: string, extra?: Element, h?: number): Element {
  return xml('failed', { xmlns: NS.sm, h: h === undefined ? undefined : String(h) },
    xml(condition, { xmlns: NS.stanzas }),
    text ? xml('text', { xmlns: NS.stanzas, 'xml:lang': 'en' }, text) : null,
    extra ?? null);
}

/** §4: the client acknowledged more stanzas than the server sent. */
function countTooHigh(h: number, sent: number): Element {
  return xml('handled-count-too-high', { xmlns: NS.sm, h: String(h), 'send-count': String(sent) });
}
