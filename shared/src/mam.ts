// XEP-0313 Message Archive Management (urn:xmpp:mam:2) with XEP-0059 result set paging and
// XEP-0431 full-text search: query builders and result parsers for the web client and tests.
import { NS } from './namespaces.ts';
import { xml, type Element } from './xml.ts';
import { FULLTEXT_FIELD } from './fulltext.ts';

export interface MamQuery {
  queryid?: string;
  /** A bare JID (any resource) or a full JID (that resource only). */
  with?: string;
  start?: Date | string;
  end?: Date | string;
  beforeId?: string;
  afterId?: string;
  ids?: string[];
  /** XEP-0431 search text (see fulltext.ts for the query language). */
  fulltext?: string;
  /** RSM: page size (the server caps it). */
  max?: number;
  /** RSM: the page after this archive id. */
  after?: string;
  /** RSM: the page before this archive id; '' asks for the last (newest) page. */
  before?: string;
  /** RSM: skip this many results from the start. */
  index?: number;
  /** Send the page newest first (urn:xmpp:mam:2#extended). */
  flip?: boolean;
}

function stamp(value: Date | string): string {
  return typeof value === 'string' ? value : value.toISOString();
}

/** The <query xmlns='urn:xmpp:mam:2'/> payload of an iq type='set'. */
export function mamQuery(query: MamQuery = {}): Element {
  const fields: Array<[string, string[]]> = [];
  if (query.with !== undefined) fields.push(['with', [query.with]]);
  if (query.start !== undefined) fields.push(['start', [stamp(query.start)]]);
  if (query.end !== undefined) fields.push(['end', [stamp(query.end)]]);
  if (query.beforeId !== undefined) fields.push(['before-id', [query.beforeId]]);
  if (query.afterId !== undefined) fields.push(['after-id', [query.afterId]]);
  if (query.ids !== undefined) fields.push(['ids', query.ids]);
  if (query.fulltext !== undefined) fields.push([FULLTEXT_FIELD, [query.fulltext]]);
  const form = fields.length === 0 ? null : xml('x', { xmlns: NS.dataForms, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS.mam)),
    ...fields.map(([name, values]) => xml('field', { var: name }, ...values.map((v) => xml('value', {}, v)))));
  const paging = query.max !== undefined || query.after !== undefined || query.before !== undefined || query.index !== undefined;
  const set = !paging ? null : xml('set', { xmlns: NS.rsm },
    query.max !== undefined ? xml('max', {}, String(query.max)) : null,
    query.after !== undefined ? xml('after', {}, query.after) : null,
    query.before !== undefined ? xml('before', {}, query.before || undefined) : null,
    query.index !== undefined ? xml('index', {}, String(query.index)) : null);
  return xml('query', { xmlns: NS.mam, queryid: query.queryid }, form, set, query.flip ? xml('flip-page') : null);
}

export interface MamResult {
  queryid?: string;
  /** The archive id (also the RSM cursor). */
  id: string;
  /** When the server archived the message (XEP-0203 delay). */
  stamp?: Date;
  /** The archived message itself. */
  message: Element;
}

/** The <result/> carried by a message from the archive, or undefined for any other message. */
export function parseMamResult(message: Element): MamResult | undefined {
  const result = message.getChild('result', NS.mam);
  const forwarded = result?.getChild('forwarded', NS.forward);
  const inner = forwarded?.getChild('message');
  if (!result || !inner || !result.attrs.id) return undefined;
  const delay = forwarded!.getChild('delay', NS.delay)?.attrs.stamp;
  const when = delay ? new Date(delay) : undefined;
  return {
    queryid: result.attrs.queryid,
    id: result.attrs.id,
    stamp: when && !Number.isNaN(when.getTime()) ? when : undefined,
    message: inner,
  };
}

export interface MamFin {
  /** No more results in the direction of paging. */
  complete: boolean;
  first?: string;
  /** Position of `first` among all the query's results. */
  firstIndex?: number;
  last?: string;
  /** How many results the query has in all. */
  count?: number;
}

/** The <fin/> of the iq result that ends a query. */
export function parseMamFin(iq: Element): MamFin | undefined {
  const fin = iq.getChild('fin', NS.mam);
  if (!fin) return undefined;
  const set = fin.getChild('set', NS.rsm);
  const first = set?.getChild('first');
  const count = set?.getChildText('count');
  const index = first?.attrs.index;
  return {
    complete: fin.attrs.complete === 'true',
    first: first?.getText() || undefined,
    firstIndex: index !== undefined ? Number(index) : undefined,
    last: set?.getChildText('last') || undefined,
    count: count ? Number(count) : undefined,
  };
}

export type ArchivingDefault = 'always' | 'never' | 'roster';

export interface ArchivingPreferences {
  default: ArchivingDefault;
  always: string[];
  never: string[];
}

/** XEP-0441 preferences: the payload of an iq set (or, without arguments, of an iq get). */
export function mamPreferences(prefs?: ArchivingPreferences): Element {
  if (!prefs) return xml('prefs', { xmlns: NS.mam });
  return xml('prefs', { xmlns: NS.mam, default: prefs.default },
    xml('always', {}, ...prefs.always.map((jid) => xml('jid', {}, jid))),
    xml('never', {}, ...prefs.never.map((jid) => xml('jid', {}, jid))));
}

export function parseMamPreferences(payload: Element): ArchivingPreferences | undefined {
  const prefs = payload.is('prefs', NS.mam) ? payload : payload.getChild('prefs', NS.mam);
  if (!prefs) return undefined;
  const list = (name: string) => (prefs.getChild(name)?.getChildren('jid') ?? []).map((jid) => jid.getText().trim());
  return { default: (prefs.attrs.default ?? 'always') as ArchivingDefault, always: list('always'), never: list('never') };
}
