// The framing of the workers' socket mesh (socket-bus.ts): a frame is a 4-byte big-endian length
// and that many bytes of UTF-8; its text is fields joined with NUL, which neither XML (XML 1.0 §2.2)
// nor JSON text contains, so no field needs escaping (as the NATS bus joins its batches). A frame
// carries every item one worker had for another in one turn of the event loop:
//   b topic data          a broadcast
//   s data                to the peer's inbox
//   q topic id data       a request
//   p id failed data      its answer ('1' when it failed)
// The first frame on a connection is `hello secret node` (the connecting worker names itself).

export const FIELD_SEPARATOR = '\u0000';

/** One item of a frame, as the bus handles it. */
export type MeshItem =
  | { readonly k: 'b'; readonly topic: string; readonly data: string }
  | { readonly k: 's'; readonly data: string }
  | { readonly k: 'q'; readonly topic: string; readonly id: number; readonly data: string }
  | { readonly k: 'p'; readonly id: number; readonly failed: boolean; readonly data: string };

/** A frame's fields, in order (what encodeFrame joins). */
export function itemFields(item: MeshItem, into: string[]): void {
  switch (item.k) {
    case 'b': into.push('b', item.topic, item.data); return;
    case 's': into.push('s', item.data); return;
    case 'q': into.push('q', item.topic, String(item.id), item.data); return;
    case 'p': into.push('p', String(item.id), item.failed ? '1' : '0', item.data);
  }
}

/** The items of a frame's text; a frame that does not parse ends with what was read before the fault. */
export function parseItems(text: string, handle: (item: MeshItem) => void): boolean {
  const fields = text.split(FIELD_SEPARATOR);
  let i = 0;
  while (i < fields.length) {
    const kind = fields[i];
    if (kind === 'b' && i + 2 < fields.length) {
      handle({ k: 'b', topic: fields[i + 1]!, data: fields[i + 2]! });
      i += 3;
    } else if (kind === 's' && i + 1 < fields.length) {
      handle({ k: 's', data: fields[i + 1]! });
      i += 2;
    } else if (kind === 'q' && i + 3 < fields.length) {
      handle({ k: 'q', topic: fields[i + 1]!, id: Number(fields[i + 2]), data: fields[i + 3]! });
      i += 4;
    } else if (kind === 'p' && i + 3 < fields.length) {
      handle({ k: 'p', id: Number(fields[i + 1]), failed: fields[i + 2] === '1', data: fields[i + 3]! });
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

/** The 4-byte length before a frame's text. */
export function frameHeader(text: string): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(Buffer.byteLength(text, 'utf8'), 0);
  return header;
}

/** Cuts a byte stream into frames' texts. */
export class FrameReader {
  private pending: Buffer | null = null;

  constructor(private readonly maxFrameBytes: number) {}

  /** The complete frames in what arrived; throws on a frame longer than the limit. */
  push(chunk: Buffer, frame: (text: string) => void): void {
    const buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const length = buffer.readUInt32BE(offset);
      if (length > this.maxFrameBytes) throw new Error(`a mesh frame of ${length} bytes (at most ${this.maxFrameBytes})`);
      if (buffer.length - offset - 4 < length) break;
      const text = buffer.toString('utf8', offset + 4, offset + 4 + length);
      offset += 4 + length;
      frame(text);
    }
    this.pending = offset < buffer.length ? buffer.subarray(offset) : null;
  }
}
