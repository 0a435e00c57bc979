// Archive positions and ids (XEP-0313 §3 "IDs", XEP-0359 stanza-id).
//
// seq = archiving time in ms × 1024 + a counter: it only grows (even if the clock steps back or
// 1024 messages share a millisecond), orders the archive as messages arrived, fits a JavaScript
// number until the year 2248, and turns 'start'/'end' dates into seq ranges.
// The public id adds randomness to the seq, because XEP-0313 asks ids to be unpredictable:
// 11 base-36 digits of the seq, '-', 6 random base-36 characters.
import { randomBytes } from 'node:crypto';

export const SEQ_PER_MS = 1024;

const ID_PATTERN = /^([0-9a-z]{11})-[0-9a-z]{6}$/;
const RANDOM_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export class ArchiveIds {
  private last: number;
  private random = randomBytes(0);
  private randomOffset = 0;

  /** `highest`: the highest seq already stored, so that a restart never reuses one. */
  constructor(highest = 0, private readonly now: () => number = Date.now) {
    this.last = highest;
  }

  nextSeq(): number {
    const candidate = this.now() * SEQ_PER_MS;
    this.last = candidate > this.last ? candidate : this.last + 1;
    return this.last;
  }

  /** The public id of a seq (random part drawn here). */
  idFor(seq: number): string {
    let suffix = '';
    for (let i = 0; i < 6; i++) suffix += RANDOM_ALPHABET[this.randomByte() % 36];
    return base36(seq) + '-' + suffix;
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

const LOW_DIGITS = 36 ** 5;

/**
 * 11 base-36 digits, in two parts that are small integers: V8 writes a large (floating-point)
 * number in base 36 through a slow general path, the most of an id's cost.
 */
function base36(seq: number): string {
  const high = Math.floor(seq / LOW_DIGITS);
  return high.toString(36).padStart(6, '0') + (seq - high * LOW_DIGITS).toString(36).padStart(5, '0');
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
