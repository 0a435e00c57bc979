// The workers' mesh framing (mesh-frames.ts): items survive a round trip in any chunking of the
// byte stream, multi-byte characters included; a frame over the limit and a malformed one are refused.
import { describe, expect, it } from 'vitest';
import { FIELD_SEPARATOR, FrameReader, frameHeader, itemFields, parseItems, type MeshItem } from './mesh-frames.ts';

const items: MeshItem[] = [
  { k: 'b', topic: 'table', data: 's{"j":"alice@example.com/desk","n":"worker-0"}' },
  { k: 's', data: "m\u0001worker-0\u00017\u0001s1\u0001<message to='bob@example.com'><body>héllo 😀</body></message>" },
  { k: 'q', topic: 'session-move', id: 3, data: '{"previd":"x","h":2}' },
  { k: 'p', id: 3, failed: true, data: 'item-not-found' },
  { k: 's', data: '' },
];

function encode(batch: MeshItem[]): Buffer {
  const fields: string[] = [];
  for (const item of batch) itemFields(item, fields);
  const text = fields.join(FIELD_SEPARATOR);
  return Buffer.concat([frameHeader(text), Buffer.from(text)]);
}

function decode(bytes: Buffer, chunkSize: number): MeshItem[] {
  const reader = new FrameReader(1024 * 1024);
  const out: MeshItem[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) {
    reader.push(bytes.subarray(at, at + chunkSize), (text) => expect(parseItems(text, (item) => out.push(item))).toBe(true));
  }
  return out;
}

describe('mesh frames', () => {
  it('carry every kind of item through any chunking of the stream', () => {
    const stream = Buffer.concat([encode(items), encode(items.slice(0, 2))]);
    for (const size of [1, 3, 7, 64, stream.length]) expect(decode(stream, size)).toEqual([...items, ...items.slice(0, 2)]);
  });

  it('refuse a frame longer than the limit', () => {
    const reader = new FrameReader(16);
    const text = 'x'.repeat(17);
    expect(() => reader.push(Buffer.concat([frameHeader(text), Buffer.from(text)]), () => {})).toThrow(/17 bytes/);
  });

  it('stop at a field that names no item', () => {
    const seen: MeshItem[] = [];
    expect(parseItems(['s', 'first', 'z', 'what'].join(FIELD_SEPARATOR), (item) => seen.push(item))).toBe(false);
    expect(seen).toEqual([{ k: 's', data: 'first' }]);
    expect(parseItems(['q', 'topic', '1'].join(FIELD_SEPARATOR), () => {})).toBe(false);
  });
});
