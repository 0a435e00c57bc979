/**
 * Micro-benchmark: parseJid per call, for the ASCII JIDs of everyday stanzas (the fast path) and
 * non-ASCII ones (PRECIS and UTS 46, then the cache). Pass another jid.ts (e.g. an older checkout)
 * to compare both in the same process, rounds alternating:
 *
 *   node --import ./server/bin/typescript-loader.js shared/src/jid.bench.ts [/path/to/other/jid.ts]
 */
import { parseJid } from './jid.ts';

type Parse = (input: string) => unknown;

const ASCII = ['bob123@example.com', 'alice42@example.com/desk-8f3a2c', 'example.com', 'Carol@Example.COM/Phone', 'user7@localhost/parley-1a2b3c4d5e6f'];
const NON_ASCII = ['b\u00FCcher@b\u00FCcher.example/Caf\u00E9', '\u03C0@example.com/\u265A'];
const CALLS = 500_000;
const ROUNDS = 7;

function nsPerCall(parse: Parse, inputs: string[]): number {
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) parse(inputs[i % inputs.length]!);
  return ((performance.now() - started) * 1e6) / CALLS;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

const other = process.argv[2] ? ((await import(process.argv[2])) as { parseJid: Parse }).parseJid : null;
for (const [name, inputs] of [['ASCII', ASCII], ['non-ASCII', NON_ASCII]] as const) {
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    mine.push(nsPerCall(parseJid, inputs));
    if (other) theirs.push(nsPerCall(other, inputs));
  }
  console.log(`${name}: ${median(mine).toFixed(0)} ns/parse` + (other ? `, other ${median(theirs).toFixed(0)} ns/parse` : ''));
}
