// Stored item payloads are serialized XML; read back here when a result or a late notification
// carries them.
import { StreamParser, type Element } from '@parley/shared';

/** The payload element of stored text, or null when it does not parse. */
export function parsePayload(text: string): Element | null {
  let parsed: Element | null = null;
  const parser = new StreamParser({
    onStreamStart: () => {}, onStreamEnd: () => {}, onError: () => {},
    onElement: (element) => { parsed = element; },
  }, { mode: 'framed', maxElementSize: Math.max(text.length * 2, 10_000) });
  parser.write(text);
  return parsed;
}
