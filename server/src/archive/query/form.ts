// XEP-0313 §4.1 query form (XEP-0004 data form, FORM_TYPE urn:xmpp:mam:2) with the XEP-0431
// full-text field: parsing a submitted form into checked values, and the form offered on iq get.
import { NS, StanzaError, tryParseJid, xml, type Element, type JID } from '@parley/shared';
import { FULLTEXT_FIELD, parseSearchQuery, type SearchTerm } from '@parley/shared/fulltext';

export interface QueryForm {
  with?: JID;
  /** ms since the epoch, inclusive */
  start?: number;
  end?: number;
  beforeId?: string;
  afterId?: string;
  ids?: string[];
  fulltext?: SearchTerm[];
}

export interface FormLimits {
  maxIds: number;
  maxSearchLength: number;
  maxSearchTerms: number;
}

const SINGLE_FIELDS = new Set(['with', 'start', 'end', 'before-id', 'after-id', FULLTEXT_FIELD]);
/** Archive ids are short; anything longer is not one (and is not worth a lookup). */
const MAX_ID_LENGTH = 256;

/** XEP-0082 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD with TZD 'Z' or ±hh:mm. */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function parseDateTime(value: string): number | null {
  const match = DATETIME.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  if (month! < 1 || month! > 12 || day! < 1 || day! > 31 || hour! > 23 || minute! > 59 || second! > 60) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls 2024-02-31 over to March: the date must survive the round trip
  const check = new Date(Date.UTC(year!, month! - 1, day!));
  if (check.getUTCMonth() !== month! - 1) return null;
  return ms;
}

function badRequest(text: string): StanzaError {
  return new StanzaError('bad-request', text);
}

function checkId(value: string, field: string): string {
  if (value.length === 0 || value.length > MAX_ID_LENGTH) throw badRequest(`${field} is not an archive id`);
  return value;
}

/** Reads the query's form; throws the StanzaError a bad form deserves. */
export function parseQueryForm(query: Element, limits: FormLimits): QueryForm {
  const forms = query.getChildren('x', NS.dataForms);
  if (forms.length === 0) return {};
  if (forms.length > 1) throw badRequest('one data form at most');
  const form = forms[0]!;
  if (form.attrs.type !== undefined && form.attrs.type !== 'submit') throw badRequest("the data form must be of type 'submit'");
  const values = new Map<string, string[]>();
  for (const field of form.getChildren('field')) {
    const name = field.attrs.var;
    if (!name) throw badRequest('a form field has no var');
    if (values.has(name)) throw badRequest(`field ${name} appears twice`);
    values.set(name, field.getChildren('value').map((value) => value.getText()));
  }
  const formType = values.get('FORM_TYPE');
  if (formType !== undefined && (formType.length !== 1 || formType[0] !== NS.mam)) {
    throw badRequest(`FORM_TYPE must be ${NS.mam}`);
  }
  values.delete('FORM_TYPE');

  const result: QueryForm = {};
  for (const [name, list] of values) {
    if (name === 'ids') {
      if (list.length > limits.maxIds) throw badRequest(`at most ${limits.maxIds} ids`);
      result.ids = list.map((id) => checkId(id.trim(), 'ids'));
      continue;
    }
    if (!SINGLE_FIELDS.has(name)) {
      // XEP-0313 §4.1.5: a field the server does not know
      throw new StanzaError('feature-not-implemented', `unknown field ${name}`);
    }
    if (list.length > 1) throw badRequest(`field ${name} takes one value`);
    const value = (list[0] ?? '').trim();
    if (value === '') continue;
    switch (name) {
      case 'with': {
        const jid = tryParseJid(value);
        if (!jid) throw badRequest(`'with' is not a valid JID: ${value.slice(0, 100)}`);
        result.with = jid;
        break;
      }
      case 'start':
      case 'end': {
        const ms = parseDateTime(value);
        if (ms === null) throw badRequest(`'${name}' is not a XEP-0082 date and time: ${value.slice(0, 100)}`);
        result[name] = ms;
        break;
      }
      case 'before-id':
        result.beforeId = checkId(value, name);
        break;
      case 'after-id':
        result.afterId = checkId(value, name);
        break;
      case FULLTEXT_FIELD: {
        if (value.length > limits.maxSearchLength) throw badRequest(`the search text is longer than ${limits.maxSearchLength} characters`);
        const terms = parseSearchQuery(value);
        if (terms.length === 0) throw badRequest('the search text has no word in it');
        if (terms.length > limits.maxSearchTerms) throw badRequest(`the search text has more than ${limits.maxSearchTerms} terms`);
        result.fulltext = terms;
        break;
      }
    }
  }
  return result;
}

/** XEP-0313 §4.1.5: the fields a query may use (iq get <query/>). */
export function queryFormTemplate(): Element {
  return xml('query', { xmlns: NS.mam },
    xml('x', { xmlns: NS.dataForms, type: 'form' },
      xml('field', { type: 'hidden', var: 'FORM_TYPE' }, xml('value', {}, NS.mam)),
      xml('field', { type: 'jid-single', var: 'with', label: 'Messages with this JID' }),
      xml('field', { type: 'text-single', var: 'start', label: 'Archived at or after (XEP-0082)' }),
      xml('field', { type: 'text-single', var: 'end', label: 'Archived at or before (XEP-0082)' }),
      xml('field', { type: 'text-single', var: 'before-id', label: 'Before this archive id' }),
      xml('field', { type: 'text-single', var: 'after-id', label: 'After this archive id' }),
      xml('field', { type: 'list-multi', var: 'ids', label: 'These archive ids' },
        xml('validate', { xmlns: 'http://jabber.org/protocol/xdata-validate', datatype: 'xs:string' }, xml('open'))),
      xml('field', { type: 'text-single', var: FULLTEXT_FIELD, label: 'Search (words, prefix*, "phrases")' })));
}
