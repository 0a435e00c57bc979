// One element from serialized XML (a stored or queued stanza), or null when it does not parse.
import { StreamParser, type Element } from '@parley/shared';

export function parseStanza(text: string): Element | null {
  let parsed: Element | null = null;
  const parser = new StreamParser({
    onStreamStart: () => {}, onStreamEnd: () => {}, onError: () => {},
    onElement: (element) => { parsed = element; },
  }, { mode: 'framed', maxElementSize: Math.max(text.length * 2, 10_000) });
  parser.write(text);
  return parsed;
}
