// Archive positions and ids (XEP-0313 §3 "IDs", XEP-0359 stanza-id).
//
// seq = archiving time in ms × 1024 + a counter × 16 + the node's number (0–15): the low four bits
// say which Parley node archived the entry, so that nodes sharing one archive never make the same
// seq (nor id); on one node seqs only grow (even if the clock steps back, or more than 64 entries
// share a millisecond: they borrow the next one, and the clock catches up), order the archive as
// messages arrived, fit a JavaScript number until the year 2248, and turn 'start'/'end' dates into
// seq ranges. Seqs written before nodes had numbers (counter in the low bits) stay valid.
// The public id adds randomness to the seq, because XEP-0313 asks ids to be unpredictable:
// 11 base-36 digits of the seq, '-', 6 random base-36 characters.
import { randomBytes } from 'node:crypto';

export const SEQ_PER_MS = 1024;
/** Node numbers: 0 … NODE_SLOTS - 1 (config node.index). */
export const NODE_SLOTS = 16;
/** Consecutive seqs of one node within a millisecond are this far apart (the two entries of a message, store.ts). */
export const SEQ_STEP = NODE_SLOTS;

const ID_PATTERN = /^([0-9a-z]{11})-[0-9a-z]{6}$/;
const RANDOM_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export class ArchiveIds {
  private last: number;
  private random = randomBytes(0);
  private randomOffset = 0;

  /**
   * `highest`: the highest seq already stored (by any node), so that a restart never reuses one;
   * `node`: this node's number, unique among the nodes that share the archive.
   */
  constructor(highest = 0, private readonly now: () => number = Date.now, private readonly node = 0) {
    if (!Number.isInteger(node) || node < 0 || node >= NODE_SLOTS) throw new RangeError(`node number ${node} is not 0–${NODE_SLOTS - 1}`);
    // the highest seq of this node's at or below `highest`: the next one is above it
    this.last = highest - (((highest - node) % NODE_SLOTS) + NODE_SLOTS) % NODE_SLOTS;
  }

  nextSeq(): number {
    const candidate = this.now() * SEQ_PER_MS + this.node;
    this.last = candidate > this.last ? candidate : this.last + SEQ_STEP;
    return this.last;
  }

  /** The public id of a seq (random part drawn here). */
  idFor(seq: number): string {
    let suffix = '';
    for (let i = 0; i < 6; i++) suffix += RANDOM_ALPHABET[this.randomByte() % 36];
    return seq.toString(36).padStart(11, '0') + '-' + suffix;
  }

  private randomByte(): number {
    if (this.randomOffset >= this.random.length) {
      // one syscall per 4 KiB of randomness (~600 ids), not one per id
      this.random = randomBytes(4096);
      this.randomOffset = 0;
    }
    // 252 = 7 × 36: drop the top values so that every character is equally likely
    let byte = this.random[this.randomOffset++]!;
    while (byte >= 252) {
      if (this.randomOffset >= this.random.length) {
        this.random = randomBytes(4096);
        this.randomOffset = 0;
      }
      byte = this.random[this.randomOffset++]!;
    }
    return byte;
  }
}

/** The seq an id claims (the store still checks that the id exists), or null if it is not one of ours. */
export function seqOfId(id: string): number | null {
  const match = ID_PATTERN.exec(id);
  if (!match) return null;
  const seq = Number.parseInt(match[1]!, 36);
  return Number.isSafeInteger(seq) ? seq : null;
}

/** When the entry was archived, in ms since the epoch. */
export function timeOfSeq(seq: number): number {
  return Math.floor(seq / SEQ_PER_MS);
}

/** The lowest seq archived at or after `ms`. */
export function firstSeqAt(ms: number): number {
  return ms * SEQ_PER_MS;
}

/** The highest seq archived at or before `ms`. */
export function lastSeqAt(ms: number): number {
  return ms * SEQ_PER_MS + SEQ_PER_MS - 1;
}
