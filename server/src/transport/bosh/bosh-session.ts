// One BOSH session (XEP-0124 + XEP-0206): the rid window, held requests, the outbound queue,
// acknowledgements, pauses and the response buffer for retransmissions. To the stream layer it is
// the Connection: what the stream writes waits here until a held request can carry it.
import { StreamError, type StreamErrorCondition } from '@parley/shared';
import { isLoopbackAddress } from '../../net/addresses.ts';
import type { Connection, ElementStream, ElementStreamFactory } from '../../stream/connection.ts';
import { scheduleFlush, type Flushable } from '../write-batching.ts';
import {
  LEGACY_HTTP_STATUS, attribute, responseBody, terminateBody, xboshAttribute, type BoshRequest, type TerminalCondition,
} from './bosh-body.ts';
import { creationAttributes, integerAttribute, parseRid, type SessionParameters } from './bosh-params.ts';
import { KeySequence } from './key-sequence.ts';
import { Overactivity } from './overactivity.ts';
import { ResponseBuffer } from './response-buffer.ts';

/** One HTTP request waiting for its answer (bosh-http.ts implements it over uWS). */
export interface BoshResponder {
  /** false once answered or once the HTTP connection is gone */
  readonly open: boolean;
  /** Answer (ignored when not open); `status` only for legacy HTTP errors (XEP-0124 §17.1). */
  send(body: string, contentType: string, status?: string): void;
}

/** What a session needs from the registry that owns it (bosh-sessions.ts). */
export interface BoshSessionOwner {
  /** The session is over: release its per-IP slot; forget its sid after `keepMs` (0: now). */
  ended(session: BoshSession, keepMs: number): void;
}

interface HeldRequest {
  rid: number;
  /** More than one when the client resent the request while we held it (§14.3). */
  responders: BoshResponder[];
  /** When 'wait' runs out (ms since the epoch). */
  deadline: number;
  /** §10: the answer to a pause request carries no payloads and is not buffered. */
  pause: boolean;
  /** §12: the request carried nothing. */
  empty: boolean;
  /** §9.2 report/time attributes for a response the client says it never got. */
  report: string;
}

interface WaitingRequest {
  request: BoshRequest;
  responders: BoshResponder[];
  /** A lower rid that has not come by then never will: the session ends (ms since the epoch). */
  deadline: number;
}

export class BoshSession implements Connection, Flushable {
  readonly transport = 'bosh' as const;
  readonly canStartTls = false;
  readonly isLoopback: boolean;
  private session: ElementStream | null = null;
  /** Highest rid processed; every lower one was processed too (§14.2). */
  private lastRid: number;
  /** Held requests, oldest (lowest rid) first. */
  private readonly held: HeldRequest[] = [];
  /** Requests that arrived before a lower rid (§14.2), by rid. */
  private readonly waiting = new Map<number, WaitingRequest>();
  /** Serialized stanzas and nonzas waiting for a held request. */
  private outbox = '';
  private flushScheduled = false;
  private readonly responses: ResponseBuffer;
  private readonly overactivity: Overactivity;
  private readonly keys: KeySequence;
  /** Answer every held request now: set by a pause or a report. */
  private releaseAll = false;
  /** Seconds of the pause in force (§10), 0 for none. */
  private pausedFor = 0;
  /** When the last held request was answered (inactivity counts from there), 0 while requests are held. */
  private idleSince: number;
  /** One timer per session for 'wait' and 'inactivity'; `armedFor` is its deadline. */
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Number.POSITIVE_INFINITY;
  /** Once the session is over: what every later request gets ('' when the sid is forgotten at once). */
  private terminal: string | null = null;
  private terminalCondition: TerminalCondition | undefined;
  /** The stream error element is not written when its condition became the binding condition. */
  private dropWrites = false;
  private readonly onTimer = () => this.tick();

  constructor(
    readonly sid: string,
    readonly params: SessionParameters,
    readonly remoteAddress: string,
    readonly encrypted: boolean,
    private readonly owner: BoshSessionOwner,
    requestsPerSecond: number,
  ) {
    this.isLoopback = isLoopbackAddress(remoteAddress);
    this.lastRid = params.rid;
    this.idleSince = Date.now();
    this.responses = new ResponseBuffer(params.requests);
    this.overactivity = new Overactivity(params, requestsPerSecond, this.idleSince);
    this.keys = new KeySequence(params.newKey);
  }

  // ---- session creation (§7) ----

  /** Open the XMPP stream and answer the session creation request with its features (XEP-0206 §4). */
  start(createSession: ElementStreamFactory, responder: BoshResponder, domain: string): void {
    const now = Date.now();
    this.session = createSession(this);
    const held = this.hold(this.params.rid, [responder], now, false);
    const attrs: Record<string, string> = { to: domain, version: this.params.xmppVersion };
    if (this.params.lang) attrs['xml:lang'] = this.params.lang;
    this.session.openExternalStream(attrs);
    if (this.terminal !== null) return; // refused (unsupported-version…): close() answered
    this.held.shift();
    this.respond(held, this.takeOutbox(), creationAttributes(this.sid, this.params, domain, this.encrypted));
    this.idleSince = now;
    this.schedule(now + this.idleLimit());
  }

  // ---- requests (§8, §14) ----

  handle(request: BoshRequest, responder: BoshResponder): void {
    if (this.terminal !== null) return this.answerEnded(responder);
    const now = Date.now();
    // our own limit, repeats included: a session may not make the server work without bound
    if (!this.overactivity.withinRate(now)) return this.fail('policy-violation', [responder]);
    const rid = parseRid(request.attrs.rid);
    if (Number.isNaN(rid)) return this.fail('bad-request', [responder]);
    if (rid <= this.lastRid) return this.repeat(rid, responder);
    // §14.2: beyond the window → item-not-found (the same answer as for a forgotten rid, §14.3)
    if (rid > this.lastRid + this.params.requests) return this.fail('item-not-found', [responder]);
    const waiting = this.waiting.get(rid);
    if (waiting) {
      waiting.responders.push(responder);
      return;
    }
    const unanswered = this.held.length + this.waiting.size + 1;
    // A request filling a gap below one already waiting is not "the newest" of §11: requests
    // sent together may arrive in any order.
    let fillsGap = false;
    for (const waitingRid of this.waiting.keys()) if (waitingRid > rid) fillsGap = true;
    if (this.overactivity.tooMany(request, unanswered, now, fillsGap)) return this.fail('policy-violation', [responder]);
    if (this.pausedFor !== 0) this.pausedFor = 0; // §10: back to normal with the next request
    if (rid !== this.lastRid + 1) {
      // §14.2: forwarded and answered in rid order, so it waits for the lower ones
      const deadline = now + (this.params.wait || this.params.inactivity) * 1000;
      this.waiting.set(rid, { request, responders: [responder], deadline });
      this.schedule(deadline);
      return;
    }
    this.process(rid, request, [responder], now);
    for (let next = this.waiting.get(this.lastRid + 1); next && this.terminal === null; next = this.waiting.get(this.lastRid + 1)) {
      this.waiting.delete(this.lastRid + 1);
      this.process(this.lastRid + 1, next.request, next.responders, now);
    }
    this.settle(now);
  }

  /** End the session with a binding condition for this request (bad XML, oversized body…). */
  terminate(condition: TerminalCondition, responder: BoshResponder): void {
    if (this.terminal !== null) return this.answerEnded(responder);
    this.fail(condition, [responder]);
  }

  /** A body that is not UTF-8 (RFC 6120 §11.6): the stream ends with <not-well-formed/>, told on this request. */
  rejectInput(error: StreamError, responder: BoshResponder): void {
    if (this.terminal !== null || !this.session) return this.answerEnded(responder);
    // as the newest held request, it carries the terminate body (close())
    this.held.push({ rid: this.lastRid, responders: [responder], deadline: Date.now(), pause: false, empty: false, report: '' });
    this.session.inputRejected(error);
  }

  private process(rid: number, request: BoshRequest, responders: BoshResponder[], now: number): void {
    this.lastRid = rid;
    const attrs = request.attrs;
    if (!this.keys.accept(attrs.key, attrs.newkey)) return this.fail('item-not-found', responders);
    const held = this.hold(rid, responders, now, request.payloads.length === 0);
    const ack = this.params.acks && attrs.ack !== undefined ? integerAttribute(attrs.ack, Number.NaN) : Number.NaN;
    if (!Number.isNaN(ack)) {
      // §9.2: a response the client lacks is reported at once
      held.report = this.responses.acknowledge(ack, now);
      if (held.report !== '') this.releaseAll = true;
    }
    if (attrs.pause !== undefined && this.params.maxPause > 0) {
      const seconds = integerAttribute(attrs.pause, Number.NaN);
      if (Number.isNaN(seconds)) return this.fail('bad-request', responders);
      // §10: answer every held request now and stretch 'inactivity' until the next request
      this.pausedFor = Math.min(seconds, this.params.maxPause);
      held.pause = true;
      this.releaseAll = true;
    }
    const session = this.session!;
    if (xboshAttribute(attrs, 'restart') === 'true') {
      // XEP-0206 §5: a restart after SASL success; the new features go out in the answer
      held.empty = false;
      const open: Record<string, string> = { to: attrs.to ?? this.params.to ?? '', version: this.params.xmppVersion };
      const lang = attrs['xml:lang'] ?? this.params.lang;
      if (lang) open['xml:lang'] = lang;
      session.openExternalStream(open);
    }
    for (const payload of request.payloads) {
      if (this.terminal !== null) return;
      session.receiveElement(payload);
    }
    // §13: payloads of a terminate request are forwarded first (e.g. unavailable presence)
    if (attrs.type === 'terminate' && this.terminal === null) session.receiveStreamEnd();
  }

  private hold(rid: number, responders: BoshResponder[], now: number, empty: boolean): HeldRequest {
    const held: HeldRequest = { rid, responders, deadline: now + this.params.wait * 1000, pause: false, empty, report: '' };
    this.held.push(held);
    this.idleSince = 0;
    return held;
  }

  /** After processing: deliver what is queued, keep at most 'hold' requests, watch the clock. */
  private settle(now: number): void {
    if (this.terminal !== null) return;
    if (this.releaseAll || this.params.hold === 0) {
      // §10 pause, §9.2 report, §12 polling: every held request is answered now
      this.releaseAll = false;
      while (this.held.length > 0) this.release(now);
    } else {
      this.deliver(now);
      // §8: at most 'hold' requests wait; a new one releases the oldest
      while (this.held.length > this.params.hold) this.release(now);
    }
    const next = this.held.length > 0 ? this.held[0]!.deadline : now + this.idleLimit();
    this.schedule(next);
  }

  /** §14.3: a rid we already received. */
  private repeat(rid: number, responder: BoshResponder): void {
    const buffered = this.responses.get(rid);
    if (buffered !== undefined) return responder.send(buffered, this.params.contentType);
    const held = this.held.find((candidate) => candidate.rid === rid);
    if (held) {
      // resent while we still hold it (its connection broke): this one gets the answer
      held.responders.push(responder);
      this.deliver(Date.now());
      return;
    }
    this.fail('item-not-found', [responder]);
  }

  // ---- answering ----

  /** The outbox to the oldest held request that can carry it (rid order, §8). */
  private deliver(now: number): void {
    while (this.outbox !== '' && this.held.length > 0) {
      const oldest = this.held[0]!;
      if (oldest.pause) return; // answered empty by settle()
      if (isLive(oldest)) return this.release(now);
      // its connection is gone: keep the stanzas for a resend or for the next request…
      if (this.held.length === 1) return;
      // …unless a newer request waits behind it: it is answered empty (and buffered), in order
      this.release(now);
    }
  }

  /** Answer the oldest held request, with the outbox if someone can read it. */
  private release(now: number): void {
    const held = this.held.shift()!;
    const payload = held.pause || !isLive(held) ? '' : this.takeOutbox();
    this.respond(held, payload, '');
    if (this.held.length === 0) {
      this.idleSince = now;
      this.schedule(now + this.idleLimit());
    }
  }

  private respond(held: HeldRequest, payload: string, extra: string): void {
    let attrs = held.report + extra;
    // §9.1: acknowledge the highest rid received when it is above the one answered
    if (this.params.acks && this.lastRid > held.rid) attrs += attribute('ack', this.lastRid);
    const body = responseBody(attrs, payload);
    // §14.3: kept for a resent request, except the answer to a pause (§10)
    if (held.pause) this.responses.answered(held.rid);
    else this.responses.add(held.rid, body, Date.now());
    this.overactivity.answered(held.empty, payload);
    for (const responder of held.responders) responder.send(body, this.params.contentType);
  }

  private takeOutbox(): string {
    const out = this.outbox;
    this.outbox = '';
    return out;
  }

  // ---- 'wait' and 'inactivity' (§8, §10) ----

  private idleLimit(): number {
    return (this.pausedFor || this.params.inactivity) * 1000;
  }

  /** Make sure the session timer fires by `deadline`. */
  private schedule(deadline: number): void {
    if (this.timer !== null && this.armedFor <= deadline) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(this.onTimer, Math.max(0, deadline - Date.now()));
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    if (this.terminal !== null) return;
    const now = Date.now();
    // §8: a request held for 'wait' seconds is answered (empty, unless stanzas are waiting)
    while (this.held.length > 0 && this.held[0]!.deadline <= now) this.release(now);
    let next = this.held.length > 0 ? this.held[0]!.deadline : this.idleSince + this.idleLimit();
    for (const waiting of this.waiting.values()) {
      // §14.2: the lower rid it waits for did not come within 'wait': the client lost it for good
      if (waiting.deadline <= now) return this.fail('item-not-found', waiting.responders);
      next = Math.min(next, waiting.deadline);
    }
    if (this.held.length === 0 && now - this.idleSince >= this.idleLimit()) return this.expire();
    this.schedule(next);
  }

  /** §10: no request for 'inactivity' seconds: the client is gone; the session ends without a word. */
  private expire(): void {
    // requests that waited for a lower rid which never came get their answer
    const body = terminateBody('item-not-found');
    for (const waiting of this.waiting.values()) for (const responder of waiting.responders) responder.send(body, this.params.contentType);
    this.abandon(new Error('BOSH inactivity timeout'));
  }

  // ---- the end ----

  /** A binding error (§17.2) on these requests; every other open request hears other-request. */
  private fail(condition: TerminalCondition, responders: BoshResponder[]): void {
    if (this.terminal !== null) return;
    const status = this.params.legacy ? LEGACY_HTTP_STATUS[condition] : undefined;
    const body = status ? '' : terminateBody(condition);
    for (const responder of responders) responder.send(body, this.params.contentType, status);
    const other = terminateBody('other-request');
    for (const held of this.held) for (const responder of held.responders) responder.send(other, this.params.contentType);
    for (const waiting of this.waiting.values()) for (const responder of waiting.responders) responder.send(other, this.params.contentType);
    this.abandon(new Error(`BOSH ${condition}`));
  }

  /** Forget the session now; the session layer tears down (unavailable presence to contacts). */
  private abandon(reason: Error): void {
    this.terminal = '';
    this.clearState();
    this.owner.ended(this, 0);
    const session = this.session;
    this.session = null;
    session?.transportClosed(reason);
  }

  private answerEnded(responder: BoshResponder): void {
    responder.send(this.terminal || terminateBody('item-not-found'), this.params.contentType);
  }

  private clearState(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.held.length = 0;
    this.waiting.clear();
    this.outbox = '';
  }

  // ---- Connection (what the stream calls) ----

  write(data: string): void {
    if (this.terminal !== null || this.dropWrites || data === '') return;
    this.outbox += data;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleFlush(this);
    }
  }

  /** Stanzas written outside a request (routed from other sessions) go out once per event-loop turn. */
  flush(): void {
    this.flushScheduled = false;
    if (this.terminal !== null || this.outbox === '') return;
    this.deliver(Date.now());
  }

  bufferedBytes(): number {
    return this.outbox.length;
  }

  startTls(): void {
    throw new Error('BOSH is secured by the HTTP layer');
  }

  /** XEP-0124 §17.2 has its own conditions for these; other stream errors travel as remote-stream-error (XEP-0206 §6). */
  streamErrorCondition(condition: StreamErrorCondition): void {
    if (condition === 'host-unknown' || condition === 'system-shutdown') {
      this.terminalCondition = condition;
      this.dropWrites = true;
    } else {
      this.terminalCondition = 'remote-stream-error';
    }
  }

  /**
   * The session layer ends the stream (client terminate, stream error, shutdown): the newest held
   * request carries <body type='terminate'/> with what is left to say, older ones are answered
   * empty, and later requests get the same terminate body for a while (§13).
   */
  close(): void {
    if (this.terminal !== null) return;
    this.terminal = terminateBody(this.terminalCondition, this.takeOutbox());
    const newest = this.held.pop();
    const now = Date.now();
    while (this.held.length > 0) this.release(now);
    if (newest) {
      newest.report = '';
      const body = this.terminal;
      this.responses.add(newest.rid, body, now);
      for (const responder of newest.responders) responder.send(body, this.params.contentType);
    }
    for (const waiting of this.waiting.values()) for (const responder of waiting.responders) responder.send(this.terminal, this.params.contentType);
    this.clearState();
    this.session = null;
    this.owner.ended(this, this.params.inactivity * 1000);
  }

  /** Server stop with the session still open (normally ended already by the system-shutdown stream error). */
  shutdown(): void {
    this.session?.streamError(new StreamError('system-shutdown', 'the server is stopping'));
    if (this.terminal === null) {
      this.streamErrorCondition('system-shutdown');
      this.close();
    }
    this.clearState();
  }
}

function isLive(held: HeldRequest): boolean {
  for (const responder of held.responders) if (responder.open) return true;
  return false;
}
