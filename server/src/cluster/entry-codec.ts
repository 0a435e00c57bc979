// Session table entries on the cluster bus: JSON with short keys (each presence update of every
// session crosses the bus), the presence as its XML.
import { parseJid, parseStanza, serialize, type JID } from '@parley/shared';
import { NO_INTERESTS, type SessionEntry } from '../core/session-table.ts';

export interface WireEntry {
  /** session id */ s: string;
  /** node */ n: string;
  /** full JID */ j: string;
  /** available */ a: boolean;
  /** priority */ p: number;
  /** last broadcast presence (XML) */ x: string | null;
  /** interests */ i: string[];
  /** resumption id */ r: string | null;
  /** hibernated until (ms) */ h: number | null;
}

export function toWire(entry: SessionEntry): WireEntry {
  return {
    s: entry.sessionId, n: entry.node, j: entry.jid.full, a: entry.available, p: entry.priority,
    x: entry.presence ? serialize(entry.presence) : null, i: [...entry.interests], r: entry.resumptionId, h: entry.hibernatedUntil,
  };
}

/** An entry of another node as this node's replica keeps it (null: unreadable, ignored). */
export function fromWire(wire: WireEntry): SessionEntry | null {
  let jid: JID;
  try {
    jid = parseJid(wire.j);
  } catch {
    return null;
  }
  if (typeof wire.s !== 'string' || typeof wire.n !== 'string' || jid.resource === '') return null;
  return {
    sessionId: wire.s, node: wire.n, jid, available: wire.a === true, priority: Number(wire.p) || 0,
    presence: wire.x ? parseStanza(wire.x) : null,
    interests: Array.isArray(wire.i) && wire.i.length ? new Set(wire.i) : NO_INTERESTS,
    resumptionId: wire.r ?? null, hibernatedUntil: wire.h ?? null,
  };
}
