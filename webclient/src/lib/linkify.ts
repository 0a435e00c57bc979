// Splits message text into plain text and web links, so that links are built as elements and
// everything else stays a text node (no HTML from message bodies ever reaches the page).
export type TextSegment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const CANDIDATE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'"»”’]+$/;

export function linkify(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const candidate = trimTrailing(match[0]);
    const href = safeHref(candidate);
    if (!href) continue;
    if (start > last) segments.push({ kind: 'text', text: text.slice(last, start) });
    segments.push({ kind: 'link', text: candidate, href });
    last = start + candidate.length;
  }
  if (last < text.length) segments.push({ kind: 'text', text: text.slice(last) });
  return segments;
}

/** Drop punctuation that ends a sentence, and a ')' that closes a parenthesis opened before the link. */
function trimTrailing(candidate: string): string {
  let result = candidate;
  for (;;) {
    const before = result;
    result = result.replace(TRAILING, '');
    if (result.endsWith(')') && count(result, '(') < count(result, ')')) result = result.slice(0, -1);
    if (result === before) return result;
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

/** Only http(s) links, parsed by the URL parser (so the href is what the browser will use). */
export function safeHref(candidate: string): string | null {
  try {
    const url = new URL(/^www\./i.test(candidate) ? `https://${candidate}` : candidate);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (!url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}
