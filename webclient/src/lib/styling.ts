// XEP-0393 message styling, parsed into a tree that components render as elements (never as
// HTML): block quotes ('>' lines, §5.1.2), preformatted blocks (``` fences, §5.1.1), and within a
// line *strong*, _emphasis_, ~strike~ and `preformatted` spans (§5.2). The directives stay visible
// (§6: they are part of the text).
export type Span =
  | { kind: 'text'; text: string }
  | { kind: 'strong' | 'emphasis' | 'strike'; children: Span[] }
  | { kind: 'code'; text: string };

export type Block =
  | { kind: 'line'; spans: Span[] }
  | { kind: 'quote'; blocks: Block[] }
  | { kind: 'pre'; text: string };

const SPAN_KINDS: Record<string, 'strong' | 'emphasis' | 'strike' | 'code'> = { '*': 'strong', _: 'emphasis', '~': 'strike', '`': 'code' };

export function styleBlocks(text: string): Block[] {
  return parseBlocks(text.split('\n'));
}

function parseBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('>')) {
      const quoted: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('>')) quoted.push(lines[i++]!.replace(/^> ?/, ''));
      i--;
      blocks.push({ kind: 'quote', blocks: parseBlocks(quoted) });
    } else if (line.startsWith('```')) {
      // §5.1.1: up to the closing fence, or the end of the message (or quote)
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && lines[j] !== '```') body.push(lines[j++]!);
      blocks.push({ kind: 'pre', text: body.join('\n') });
      i = j;
    } else {
      blocks.push({ kind: 'line', spans: parseSpans(line) });
    }
  }
  return blocks;
}

/** §5.2: a directive opens before a non-space, at the start or after a space (or another directive), and closes after a non-space. */
export function parseSpans(text: string): Span[] {
  const spans: Span[] = [];
  let plain = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    const kind = SPAN_KINDS[char];
    const before = i === 0 ? ' ' : text[i - 1]!;
    const opens = kind !== undefined && (/\s/.test(before) || SPAN_KINDS[before] !== undefined) && i + 1 < text.length && !/\s/.test(text[i + 1]!);
    if (opens) {
      const close = findClose(text, i + 1, char);
      if (close !== -1) {
        if (plain) spans.push({ kind: 'text', text: plain });
        plain = '';
        const inner = text.slice(i, close + 1);
        if (kind === 'code') spans.push({ kind: 'code', text: inner });
        else spans.push({ kind, children: [{ kind: 'text', text: char }, ...parseSpans(inner.slice(1, -1)), { kind: 'text', text: char }] });
        i = close + 1;
        continue;
      }
    }
    plain += char;
    i++;
  }
  if (plain) spans.push({ kind: 'text', text: plain });
  return spans;
}

function findClose(text: string, from: number, char: string): number {
  // at least one character between the directives (§5.2: '**' styles nothing)
  for (let j = from + 1; j < text.length; j++) {
    if (text[j] === char && !/\s/.test(text[j - 1]!)) return j;
  }
  return -1;
}
