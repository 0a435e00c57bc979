// Strict UTF-8 decoding of a byte stream split anywhere (RFC 6120 §11.6: an XMPP stream is UTF-8,
// and data that is not gets <not-well-formed/>). Node's setEncoding('utf8') would turn bad bytes
// into U+FFFD; here each chunk is checked with buffer.isUtf8 (simdutf: overlongs, encoded surrogates
// and code points past U+10FFFF are refused) and decoded only when it is valid. A character cut
// by a chunk boundary waits, as up to three bytes packed in a number, for the rest.
import { isUtf8 } from 'node:buffer';

export class InvalidUtf8Error extends Error {
  /** The text before the first invalid byte, to be read before the stream ends. */
  constructor(readonly validPrefix: string) {
    super('the stream is not valid UTF-8');
  }
}

export class Utf8StreamDecoder {
  /** Bytes of a character cut at the end of the previous chunk, first byte highest. */
  private pending = 0;
  private pendingLength = 0;

  /** The text of `chunk`; throws InvalidUtf8Error when the bytes are not UTF-8. */
  decode(chunk: Buffer): string {
    let start = 0;
    let head = '';
    if (this.pendingLength > 0) {
      const finished = this.finishPending(chunk);
      if (finished === null) return '';
      head = finished.text;
      start = finished.used;
    }
    const end = chunk.length - incompleteTail(chunk, start);
    const body = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
    if (!isUtf8(body)) throw new InvalidUtf8Error(head + validPrefix(body));
    for (let i = end; i < chunk.length; i++) this.keep(chunk[i]!);
    return head === '' ? body.toString('utf8') : head + body.toString('utf8');
  }

  /** Forget a cut character (a new stream on another layer, e.g. after STARTTLS). */
  reset(): void {
    this.pending = 0;
    this.pendingLength = 0;
  }

  private keep(byte: number): void {
    this.pending = this.pending * 256 + byte;
    this.pendingLength++;
  }

  /** Complete the cut character with the first bytes of `chunk`; null while the chunk is too short. */
  private finishPending(chunk: Buffer): { text: string; used: number } | null {
    const bytes: number[] = [];
    for (let i = this.pendingLength - 1; i >= 0; i--) bytes.push(Math.floor(this.pending / 256 ** i) % 256);
    const needed = sequenceLength(bytes[0]!);
    const used = Math.min(needed - bytes.length, chunk.length);
    for (let i = 0; i < used; i++) bytes.push(chunk[i]!);
    this.reset();
    if (bytes.length < needed) {
      for (const byte of bytes) this.keep(byte);
      return null;
    }
    const sequence = Buffer.from(bytes);
    if (!isUtf8(sequence)) throw new InvalidUtf8Error('');
    return { text: sequence.toString('utf8'), used };
  }
}

/** Bytes of a UTF-8 sequence led by `byte` (a valid lead byte: C2–F4). */
function sequenceLength(byte: number): number {
  return byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
}

/**
 * How many bytes at the end of chunk[start..] begin a character the chunk does not finish (0–3).
 * Only a valid lead byte (C2–F4) can start one; anything else is left for isUtf8 to judge.
 */
function incompleteTail(chunk: Buffer, start: number): number {
  const length = chunk.length;
  for (let back = 1; back <= 3 && length - back >= start; back++) {
    const byte = chunk[length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    if (byte < 0xc2 || byte > 0xf4) return 0;
    return sequenceLength(byte) > back ? back : 0;
  }
  return 0;
}

/** The text before the first invalid sequence of `bytes` (only on the error path). */
function validPrefix(bytes: Buffer): string {
  let low = 0;
  let high = bytes.length;
  // the longest valid prefix, by bisection over isUtf8 (a prefix may end inside a character: step back)
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (isUtf8(bytes.subarray(0, middle - incompleteTail(bytes.subarray(0, middle), 0)))) low = middle;
    else high = middle - 1;
  }
  const end = low - incompleteTail(bytes.subarray(0, low), 0);
  return bytes.toString('utf8', 0, end);
}
