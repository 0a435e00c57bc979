// XEP-0198 §5 resumption on another node of the cluster than the one where the session waits
// (core/session-moves.ts): the new node asks the holding node for it; the holding node checks the
// previd, takes the client's 'h' as an ack, and hands over what the session carries — the count of
// stanzas it handled, the stanzas not yet acknowledged, its presence and interests — then lets the
// session go without ending it (no unavailable presence, nothing undeliverable). The new node binds
// the same full JID, puts the state on it, answers <resumed/> and sends the unacknowledged stanzas
// again. Stored copies (offline messages) the old node was waiting to delete on an ack are deleted
// there: the new node keeps them as unacknowledged stanzas, which go to offline storage again if
// the session ends without an ack.
import { NS, parseStanza, serialize, xml, type Element } from '@parley/shared';
import type { ModuleContext, NegotiatingStream } from '../../core/module-api.ts';
import type { SessionHandle } from '../../core/origin.ts';
import type { SessionEntry } from '../../core/session-table.ts';
import { COUNTER, StanzaCounter, type AckPolicy } from './counter.ts';

/** What crosses the bus from the holding node. */
export interface HandedOver {
  handled: number;
  maxSeconds: number;
  unacknowledged: string[];
  available: boolean;
  priority: number;
  presence: string | null;
  interests: string[];
}

/** A refusal from the holding node, in its reason text (the bus carries errors as text). */
const TOO_HIGH = /^too-high (\d+) (\d+)$/;

const HANDOVER_TIMEOUT_MS = 5000;

/** Answer other nodes' fetches of this node's resumable sessions. */
export function answerMoves(ctx: ModuleContext<unknown>): void {
  ctx.sessionMoves?.answer((sessionId, request) => {
    const { previd, h } = JSON.parse(request) as { previd: string; h: number };
    const session = ctx.localSession(sessionId);
    const counter = session?.data.get(COUNTER);
    if (!session || !counter || counter.resumptionId !== previd) throw new Error('item-not-found');
    const outcome = counter.acknowledge(h);
    if (outcome.kind === 'too-high') {
      const handled = counter.handled;
      session.close(); // what it kept goes to offline storage or another resource, as on one node
      throw new Error(`too-high ${outcome.sent} ${handled}`);
    }
    const kept = counter.unacknowledgedStanzas();
    const entry = session.entry;
    const state: HandedOver = {
      handled: counter.handled, maxSeconds: counter.maxSeconds, unacknowledged: kept.map((stanza) => stanza.xml),
      available: entry.available, priority: entry.priority, presence: entry.presence ? serialize(entry.presence) : null,
      interests: [...entry.interests],
    };
    counter.stop();
    session.data.delete(COUNTER);
    session.acknowledgement = null;
    for (const stanza of kept) stanza.receipt?.delivered(); // carried over as unacknowledged stanzas
    session.handOver();
    ctx.log.debug({ session: sessionId, unacknowledged: kept.length }, 'session handed over for resumption on another node');
    return JSON.stringify(state);
  });
}

/** What a fetch from the holding node came to: the session's state, or why not (for <failed/>). */
export type Fetched =
  | { kind: 'handed-over'; state: HandedOver }
  | { kind: 'failed'; condition: string; text?: string; extra?: Element; h?: number };

/** The session waits on another node: ask that node for it (it lets the session go when it answers). */
export async function fetchFromNode(ctx: ModuleContext<unknown>, entry: SessionEntry, previd: string, h: number): Promise<Fetched> {
  let state: HandedOver;
  try {
    state = JSON.parse(await ctx.sessionMoves!.fetch(entry, JSON.stringify({ previd, h }), HANDOVER_TIMEOUT_MS)) as HandedOver;
  } catch (error) {
    const tooHigh = TOO_HIGH.exec((error as Error).message);
    if (tooHigh) {
      return { kind: 'failed', condition: 'undefined-condition',
        extra: xml('handled-count-too-high', { xmlns: NS.sm, h: String(h), 'send-count': tooHigh[1]! }), h: Number(tooHigh[2]) };
    }
    ctx.log.debug({ err: error, node: entry.node }, 'resumption on another node refused');
    return { kind: 'failed', condition: 'item-not-found', text: 'no session to resume with that id' };
  }
  ctx.sessionMoves!.forget(entry);
  return { kind: 'handed-over', state };
}

/**
 * Puts a handed-over session's state on the session bound here for it; returns the <resumed/> to
 * send, and what sends the unacknowledged stanzas again once it is written (counted anew from the
 * client's 'h', §4).
 */
export function takeHandedOver(ctx: ModuleContext<unknown>, policy: AckPolicy, session: SessionHandle, from: SessionEntry,
  previd: string, h: number, state: HandedOver): { resumed: Element; resend(): void } {
  const counter = new StanzaCounter(session, policy, previd, state.maxSeconds, h);
  counter.handled = state.handled;
  session.data.set(COUNTER, counter);
  session.acknowledgement = counter;
  session.setResumption(previd, null);
  session.setInterests(new Set(state.interests));
  session.setPresence(state.available, state.priority, state.presence ? parseStanza(state.presence) : null);
  return {
    resumed: xml('resumed', { xmlns: NS.sm, h: String(state.handled), previd }),
    resend() {
      for (const stanza of state.unacknowledged) session.deliverNow(stanza);
      counter.reattached();
      ctx.log.debug({ session: session.id, from: from.node, resent: state.unacknowledged.length }, 'session resumed from another node');
    },
  };
}

/** A <resume/> nonza for a session waiting on another node: fetch it and resume it on this stream. */
export async function resumeFromNode(ctx: ModuleContext<unknown>, policy: AckPolicy, stream: NegotiatingStream, entry: SessionEntry,
  previd: string, h: number, fail: (condition: string, text?: string, extra?: Element, h?: number) => void): Promise<void> {
  const fetched = await fetchFromNode(ctx, entry, previd, h);
  if (fetched.kind === 'failed') return fail(fetched.condition, fetched.text, fetched.extra, fetched.h);
  let session: SessionHandle;
  try {
    session = stream.resumeMoved(entry.jid);
  } catch (error) {
    // the new stream closed while the session was on its way: what it carried is lost with it
    ctx.log.warn({ err: error, unacknowledged: fetched.state.unacknowledged.length }, 'a session handed over found no stream to resume on');
    return;
  }
  const taken = takeHandedOver(ctx, policy, session, entry, previd, h, fetched.state);
  session.write(taken.resumed);
  taken.resend();
}
