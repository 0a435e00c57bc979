// fast-check generators of raw stream input: well-formed stanzas cut, spliced and seeded with what
// XML parsers trip on (entities, DTDs, CDATA, comments, processing instructions, namespace
// prefixes, deep nesting, characters XML 1.0 forbids, bytes that are not UTF-8).
import fc from 'fast-check';
import type { FuzzStanza } from './stanzas.ts';

/** A piece of what is sent: text (UTF-8 encoded) or raw bytes. */
export type Piece = { text: string } | { bytes: number[] };

/** Where on the stream the input goes. */
export type Stage = 'instead-of-header' | 'after-header' | 'after-bind';

export interface RawInput {
  stage: Stage;
  pieces: Piece[];
}

const NASTY_TEXT = [
  '<', '>', '&', '&amp', '&#0;', '&#x1F;', '&#xD800;', '&#1114112;', '&#xFFFE;', '&unknown;', '&lt;&gt', '&#65;', "'", '"',
  '<!--', '-->', '<!-- x -->', '<?pi x?>', '<?xml version="1.0"?>', '<![CDATA[x<y]]>', ']]>', '<!DOCTYPE x>',
  '<!DOCTYPE x [<!ENTITY e "eeeeeeeeee">]>', '<!ENTITY a "b">', '&e;', '</stream:stream>', '<stream:stream>',
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' to='example.com'>",
  '</iq>', '<iq>', '</message>', '<presence/>', ' xmlns=""', " xmlns:a='urn:a'", ' a:b="c"', " id='1' id='2'", " xmlns:stream='x'",
  '\u0000', '\u0001', '\u000B', '\uFFFE', '\uFFFF', '\uD800', '\uDC00', '\r\n', '\t', '\u0085', '\u2028',
  '<a:b:c/>', '<1x/>', '<x y/>', '<x y=z/>', '<x y="1" y="2"/>', '<:x/>', '<x:/>', '<xmlns:x/>', '< x/>', '</ x>',
  `<${'a'.repeat(3000)}/>`, `<x ${'a'.repeat(2000)}="1"/>`, '<a>'.repeat(300), '</a>'.repeat(3), '<a/>'.repeat(500),
  "<message><body>é</body></message>", '<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>',
];

/** Byte sequences that are not UTF-8 (RFC 3629 §3: overlong forms, surrogates, lone continuation bytes). */
const NOT_UTF8 = [[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0x80], [0xc3], [0xf4, 0x90, 0x80, 0x80], [0xc3, 0x28]];

type Edit =
  | { op: 'cut'; at: number }
  | { op: 'insert'; at: number; piece: string }
  | { op: 'delete'; at: number; length: number }
  | { op: 'repeat'; at: number; length: number; times: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), piece: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NASTY_TEXT) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }), times: fc.integer({ min: 2, max: 50 }) }),
);

function apply(text: string, change: Edit): string {
  const at = text.length === 0 ? 0 : change.at % (text.length + 1);
  switch (change.op) {
    case 'cut': return text.slice(0, at);
    case 'insert': return text.slice(0, at) + change.piece + text.slice(at);
    case 'delete': return text.slice(0, at) + text.slice(at + change.length);
    case 'repeat': return text.slice(0, at) + text.slice(at, at + change.length).repeat(change.times) + text.slice(at + change.length);
  }
}

/** A well-formed stanza (or stream header) with one to four edits, now and then followed by bytes that are not UTF-8. */
export function rawInput(stanzas: fc.Arbitrary<FuzzStanza>): fc.Arbitrary<RawInput> {
  const header = "<?xml version='1.0'?><stream:stream to='example.com' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  return fc.record({
    stage: fc.constantFrom<Stage>('instead-of-header', 'after-header', 'after-bind'),
    base: fc.array(stanzas.map((stanza) => stanza.xml), { minLength: 1, maxLength: 3 }),
    edits: fc.array(edit, { minLength: 1, maxLength: 4 }),
    bytes: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...NOT_UTF8) }),
  }).map(({ stage, base, edits, bytes }) => {
    const start = stage === 'instead-of-header' ? header + base[0]! : base.join('');
    const text = edits.reduce(apply, start);
    const pieces: Piece[] = [{ text }];
    if (bytes) pieces.push({ bytes }, { text: base[0]! });
    return { stage, pieces };
  });
}

export function encode(pieces: Piece[]): Buffer {
  return Buffer.concat(pieces.map((piece) => 'text' in piece ? Buffer.from(piece.text, 'utf8') : Buffer.from(piece.bytes)));
}
