// A message body as MessageText renders it, parsed once per text: null for plain text (nothing to
// style, no link: the common case, rendered as one text node), else XEP-0393 blocks (styling.ts)
// whose text spans are linked when shown (linkify.ts). A scroll through a long conversation shows
// the same bodies again and again.
import { styleBlocks, type Block } from './styling.ts';

/** Parsed bodies kept (the oldest go first). */
const CACHED = 2_000;
const cache = new Map<string, Block[] | null>();

/** Anything that might style (XEP-0393 §5: directives, quotes, fences) or be a link. */
const MAYBE_STYLED = /[*_~`]|^>|\n>|https?:\/\/|www\./i;
const MAYBE_LINK = /https?:\/\/|www\./i;

export function parsedText(text: string, unstyled = false): Block[] | null {
  const key = unstyled ? `u${text}` : `s${text}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let parsed: Block[] | null;
  if (!(unstyled ? MAYBE_LINK : MAYBE_STYLED).test(text)) parsed = null;
  else parsed = unstyled ? [{ kind: 'line', spans: [{ kind: 'text', text }] }] : styleBlocks(text);
  if (cache.size >= CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, parsed);
  return parsed;
}
