// XEP-0313 §4 archive queries: the form and RSM turned into one page of the store, the results
// sent as <message><result><forwarded/></result></message> before the iq result with <fin/>;
// and the §6 metadata query. Used for users' archives (modules/mam/) and rooms' (components/muc/);
// who may read an archive is the caller's decision.
import { NS, StanzaError, escapeXML, xml, type Element, type JID } from '@parley/shared';
import type { Archive } from '../index.ts';
import { ArchiveUnavailableError } from '../elasticsearch/store.ts';
import { firstSeqAt, lastSeqAt, timeOfSeq } from '../ids.ts';
import type { ArchiveEntry, ArchiveFilter, PageRequest } from '../types.ts';
import { parseQueryForm } from './form.ts';
import { parseRsm, rsmSet } from './rsm.ts';

/** Bytes of results one page may send; a page of big messages stops early (not complete), the client pages on. */
export const MAX_PAGE_BYTES = 1024 * 1024;
/** RSM <index/> beyond this is refused (Elasticsearch cannot page past 10,000 results that way). */
export const MAX_INDEX = 9000;
const MAX_QUERYID_LENGTH = 256;

/** The archive is its owner's alone (XEP-0313 §8.1). */
export function requireOwnArchive(from: JID, to: JID): void {
  if (from.bare !== to.bare) throw new StanzaError('forbidden', 'an archive is readable by its owner only');
}

/** Store errors a client can do something about become 'wait' errors. */
export async function guarded<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ArchiveUnavailableError) {
      throw new StanzaError('internal-server-error', 'the archive is unavailable for now; try again later', 'wait');
    }
    throw error;
  }
}

/**
 * Runs the query of `iq` on the archive of `to` (its bare JID); `deliver` sends each result
 * message to the asking session (results go nowhere without it), before the returned <fin/>.
 */
export async function runQuery(archive: Archive, iq: Element, from: JID, to: JID, deliver: ((xml: string) => void) | null): Promise<Element> {
  const query = iq.getChild('query', NS.mam)!;
  const queryid = query.attrs.queryid;
  if (queryid !== undefined && queryid.length > MAX_QUERYID_LENGTH) throw new StanzaError('bad-request', 'queryid is too long');
  const config = archive.config;
  const form = parseQueryForm(query, config);
  const rsm = parseRsm(query);
  const flip = query.getChild('flip-page') !== undefined;
  if (rsm.index !== undefined && rsm.index > MAX_INDEX) throw new StanzaError('bad-request', `RSM <index/> above ${MAX_INDEX}; page with <after/>`);
  const store = archive.store;
  const owner = to.bare;

  // Every id the query names must be in this archive (XEP-0313 §4.1.3, §4.3.2).
  const named = [form.beforeId, form.afterId, rsm.after, rsm.before || undefined, ...(form.ids ?? [])]
    .filter((id): id is string => id !== undefined);
  const seqs = named.length ? await guarded(store.resolve(owner, [...new Set(named)])) : new Map<string, number>();
  for (const id of named) if (!seqs.has(id)) throw new StanzaError('item-not-found', `no archived message ${id.slice(0, 100)}`);

  const filter: ArchiveFilter = { owner };
  if (form.with) filter.with = form.with.isBare ? { bare: form.with.bare } : { bare: form.with.bare, resource: form.with.resource };
  const lows = [form.start !== undefined ? firstSeqAt(form.start) : undefined, form.afterId ? seqs.get(form.afterId)! + 1 : undefined];
  const highs = [form.end !== undefined ? lastSeqAt(form.end) : undefined, form.beforeId ? seqs.get(form.beforeId)! - 1 : undefined];
  const low = lows.filter((n) => n !== undefined);
  const high = highs.filter((n) => n !== undefined);
  if (low.length) filter.minSeq = Math.max(...low);
  if (high.length) filter.maxSeq = Math.min(...high);
  if (form.ids) filter.seqs = form.ids.map((id) => seqs.get(id)!);
  if (form.fulltext) filter.fulltext = form.fulltext;

  const max = Math.min(rsm.max ?? config.defaultPageSize, config.maxPageSize);
  const backward = rsm.before !== undefined;
  const request: PageRequest = { direction: backward ? 'backward' : 'forward', limit: max + 1 };
  if (rsm.after) request.cursor = seqs.get(rsm.after)!;
  if (rsm.before) request.cursor = seqs.get(rsm.before)!;
  if (rsm.index !== undefined) request.offset = rsm.index;
  const page = await guarded(store.page(filter, request));

  // The page in archive order, cut at max entries and MAX_PAGE_BYTES.
  let shown = page.entries.slice(0, max);
  let complete = page.entries.length <= max;
  let bytes = 0;
  for (let i = 0; i < shown.length; i++) {
    bytes += shown[i]!.stanza.length;
    if (bytes > MAX_PAGE_BYTES && i > 0) {
      shown = shown.slice(0, i);
      complete = false;
      break;
    }
  }
  if (backward) shown.reverse();
  const firstIndex = backward ? page.preceding - shown.length : page.preceding;

  if (deliver) {
    const ordered = flip ? [...shown].reverse() : shown;
    for (const entry of ordered) deliver(resultMessage(from.full, owner, queryid, entry));
  }
  return xml('fin', { xmlns: NS.mam, complete: complete ? 'true' : undefined },
    rsmSet({
      first: shown.length ? { id: shown[0]!.id, index: firstIndex } : undefined,
      last: shown.length ? shown[shown.length - 1]!.id : undefined,
      count: page.total,
    }));
}

/** One result (XEP-0313 §4.2): the archived message forwarded (XEP-0297) with its archiving time (XEP-0203). */
export function resultMessage(to: string, archiveJid: string, queryid: string | undefined, entry: ArchiveEntry): string {
  const stamp = new Date(timeOfSeq(entry.seq)).toISOString();
  return `<message xmlns="${NS.client}" to="${escapeXML(to)}" from="${escapeXML(archiveJid)}" id="${entry.id}">`
    + `<result xmlns="${NS.mam}"${queryid === undefined ? '' : ` queryid="${escapeXML(queryid)}"`} id="${entry.id}">`
    + `<forwarded xmlns="${NS.forward}"><delay xmlns="${NS.delay}" stamp="${stamp}"/>${entry.stanza}</forwarded>`
    + '</result></message>';
}

/** XEP-0313 §6: the first and last entries of the archive (an empty <metadata/> for an empty one). */
export async function metadata(archive: Archive, to: JID): Promise<Element> {
  const bounds = await guarded(archive.store.bounds(to.bare));
  if (!bounds) return xml('metadata', { xmlns: NS.mam });
  const at = (seq: number) => new Date(timeOfSeq(seq)).toISOString();
  return xml('metadata', { xmlns: NS.mam },
    xml('start', { id: bounds.first.id, timestamp: at(bounds.first.seq) }),
    xml('end', { id: bounds.last.id, timestamp: at(bounds.last.seq) }));
}
