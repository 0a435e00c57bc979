// What counts as a server bug when hostile input arrives (RFC 6120 §4.9, §8.3; the product brief's
// quality bar): an internal-server-error, a logged exception, an iq get/set left unanswered, a
// connection dropped without a stream error, a server that stops answering.
import type { Element } from 'ltx';
import { NS } from '@parley/shared';
import { describeRecord, type CapturedLog } from './captured-log.ts';
import type { FuzzPeer } from './fuzz-peer.ts';
import type { FuzzStanza } from './stanzas.ts';

/** How long an answer may take (the machine is shared and loaded). */
export const ANSWER_TIMEOUT_MS = 5000;

/** Every internal-server-error condition in the elements (stanza errors and stream errors). */
export function internalServerErrors(elements: Element[]): string[] {
  const found: string[] = [];
  const visit = (element: Element, top: Element) => {
    if (element.name === 'internal-server-error' && (element.attrs.xmlns === NS.stanzas || element.attrs.xmlns === NS.streams)) {
      found.push(top.toString());
    }
    for (const child of element.getChildElements()) visit(child, top);
  };
  for (const element of elements) visit(element, element);
  return found;
}

/** Problems in what the server sent from `from` on, and in its log. */
export function inspect(peer: FuzzPeer, from: number, log: CapturedLog): string[] {
  const problems = internalServerErrors(peer.received.slice(from)).map((xml) => `internal-server-error: ${xml}`);
  for (const record of log.takeErrors()) problems.push(`logged: ${describeRecord(record)}`);
  if (peer.serverXmlError) problems.push(`the server sent XML that is not well-formed: ${peer.serverXmlError}`);
  if (peer.closed && !peer.streamError && !peer.footer) problems.push('the connection closed without a stream error or </stream:stream>');
  return problems;
}

/**
 * Sends stanzas on a bound stream, waits for the answer to every iq get/set, then for a ping
 * (everything before it has been handled), and returns the problems found.
 */
export async function exchange(peer: FuzzPeer, stanzas: FuzzStanza[], domain: string, log: CapturedLog): Promise<string[]> {
  const from = peer.received.length;
  for (const stanza of stanzas) peer.send(stanza.xml);
  const problems: string[] = [];
  for (const stanza of stanzas) {
    if (stanza.answerId === undefined) continue;
    const id = stanza.answerId;
    const answer = await peer.waitFor((element) => element.name === 'iq' && element.attrs.id === id &&
      (element.attrs.type === 'result' || element.attrs.type === 'error'), from, ANSWER_TIMEOUT_MS);
    if (answer === 'timeout') problems.push(`no answer within ${ANSWER_TIMEOUT_MS} ms to ${stanza.xml}`);
  }
  if (!peer.closed && await peer.ping(domain, ANSWER_TIMEOUT_MS) === 'timeout') {
    problems.push(`the server did not answer a ping within ${ANSWER_TIMEOUT_MS} ms after ${stanzas.map((s) => s.xml).join('')}`);
  }
  problems.push(...inspect(peer, from, log));
  return problems;
}
