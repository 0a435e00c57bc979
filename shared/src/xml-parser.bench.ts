/**
 * Micro-benchmark: StreamParser vs ltx's own SAX parser (with the same
 * depth-1 element building @xmpp/xml does on top of it).
 *
 *   node --import ./server/bin/typescript-loader.js shared/src/xml-parser.bench.ts [stanzas]
 */
import { Element } from './xml.ts';
import LtxSaxParser from 'ltx/lib/parsers/ltx.js';
import { StreamParser } from './xml-parser.ts';

const STANZAS = Number(process.argv[2] ?? 1_000_000);
const CHUNK_SIZE = 16 * 1024;
const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
const STANZA = "<message to='bob@example.com' type='chat' id='abc123'><body>Hello there, how are you?</body></message>";

/** The whole stream in 16 KiB chunks (stanzas split at arbitrary points, like TCP reads). */
function makeChunks(): string[] {
  const perChunk = Math.ceil(CHUNK_SIZE / STANZA.length) + 1;
  const block = STANZA.repeat(perChunk);
  const chunks: string[] = [HEADER];
  let pending = '';
  for (let left = STANZAS; left > 0; ) {
    const n = Math.min(left, perChunk);
    pending += n === perChunk ? block : STANZA.repeat(n);
    left -= n;
    while (pending.length >= CHUNK_SIZE) {
      chunks.push(pending.slice(0, CHUNK_SIZE));
      pending = pending.slice(CHUNK_SIZE);
    }
  }
  if (pending) chunks.push(pending);
  // Flatten the slices so that both parsers get plain sequential strings.
  return chunks.map((c) => Buffer.from(c).toString());
}

function runOurs(chunks: string[]): number {
  let count = 0;
  const parser = new StreamParser(
    {
      onStreamStart: () => {},
      onElement: () => void count++,
      onStreamEnd: () => {},
      onError: (condition, text) => {
        throw new Error(`${condition}: ${text}`);
      },
    },
    { mode: 'stream' },
  );
  for (const chunk of chunks) parser.write(chunk);
  return count;
}

/** ltx's SAX parser plus depth-1 element emission, as in @xmpp/xml's Parser. */
function runLtx(chunks: string[]): number {
  let count = 0;
  let root: Element | null = null;
  let cursor: Element | null = null;
  const parser = new LtxSaxParser();
  parser.on('startElement', (name: string, attrs: Record<string, string>) => {
    const element = new Element(name, attrs);
    if (!root) root = element;
    else if (cursor !== root) cursor!.cnode(element);
    cursor = element;
  });
  parser.on('endElement', (name: string) => {
    if (!cursor || cursor.name !== name) throw new Error('mismatched end tag');
    if (cursor === root) return;
    if (!cursor.parent) {
      cursor.parent = root;
      count++;
      cursor = root;
      return;
    }
    cursor = cursor.parent;
  });
  parser.on('text', (text: string) => cursor?.t(text));
  for (const chunk of chunks) parser.write(chunk);
  return count;
}

function measure(name: string, fn: (chunks: string[]) => number, chunks: string[]): void {
  fn(chunks.slice(0, 200)); // warm-up
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    const count = fn(chunks);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (count !== STANZAS) throw new Error(`${name}: parsed ${count} stanzas, expected ${STANZAS}`);
    times.push(ms);
  }
  const best = Math.min(...times);
  const rate = Math.round((STANZAS / best) * 1000);
  console.log(`${name.padEnd(14)} ${rate.toLocaleString('en-US').padStart(12)} stanzas/s  (best of 3: ${best.toFixed(0)} ms)`);
}

const chunks = makeChunks();
console.log(`${STANZAS.toLocaleString('en-US')} stanzas, ${chunks.length} chunks of ${CHUNK_SIZE} chars`);
measure('StreamParser', runOurs, chunks);
measure('ltx SAX', runLtx, chunks);
