// XEP-0059 Result Set Management as MAM uses it (XEP-0313 §4.3): the client's <set/> and the
// <set/> of the answer.
import { NS, StanzaError, xml, type Element } from '@parley/shared';

export interface RsmRequest {
  max?: number;
  /** Page after this archive id. */
  after?: string;
  /** Page before this archive id; '' = the last page. */
  before?: string;
  /** Skip this many results from the start (out-of-order paging, §2.6). */
  index?: number;
}

const NUMBER = /^\d{1,9}$/;

function number(element: Element | undefined, name: string): number | undefined {
  if (!element) return undefined;
  const text = element.getText().trim();
  if (!NUMBER.test(text)) throw new StanzaError('bad-request', `RSM <${name}/> must be a non-negative integer`);
  return Number(text);
}

export function parseRsm(query: Element): RsmRequest {
  const sets = query.getChildren('set', NS.rsm);
  if (sets.length === 0) return {};
  if (sets.length > 1) throw new StanzaError('bad-request', 'one RSM <set/> at most');
  const set = sets[0]!;
  const after = set.getChild('after');
  const before = set.getChild('before');
  const request: RsmRequest = { max: number(set.getChild('max'), 'max'), index: number(set.getChild('index'), 'index') };
  if (after && before) throw new StanzaError('bad-request', 'RSM <after/> and <before/> cannot be combined; use after-id and before-id');
  if (after) {
    const id = after.getText().trim();
    if (id === '') throw new StanzaError('bad-request', 'RSM <after/> needs an archive id');
    request.after = id;
  }
  if (before) request.before = before.getText().trim();
  if (request.index !== undefined && (after || before)) {
    throw new StanzaError('bad-request', 'RSM <index/> replaces <after/> and <before/>');
  }
  return request;
}

export interface RsmAnswer {
  first?: { id: string; index: number };
  last?: string;
  count: number;
}

export function rsmSet(answer: RsmAnswer): Element {
  return xml('set', { xmlns: NS.rsm },
    answer.first ? xml('first', { index: answer.first.index }, answer.first.id) : null,
    answer.last !== undefined ? xml('last', {}, answer.last) : null,
    xml('count', {}, String(answer.count)));
}
