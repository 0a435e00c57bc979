// Payloads shaped like the real requests (a roster set with one item and its groups, a MAM query
// with a data form and RSM paging, archiving preferences, a vCard with a photo), with edge values in
// every slot: random trees rarely get this deep into a handler's parsing.
import fc from 'fast-check';
import { Element } from 'ltx';
import { NS } from '@parley/shared';

const MAM_FIELDS = ['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids', `{${NS.fulltext}}fulltext`, 'unknown-field'];

function element(name: string, attrs: Record<string, string | null | undefined>, ...children: Array<Element | string | null>): Element {
  const defined = Object.fromEntries(Object.entries(attrs).filter(([, value]) => value !== null && value !== undefined));
  const built = new Element(name, defined);
  for (const child of children) {
    if (child === null) continue;
    if (typeof child === 'string') built.t(child);
    else built.cnode(child);
  }
  return built;
}

/** Templates per "type xmlns" of a handler; `value` supplies edge values. */
export function templates(value: fc.Arbitrary<string>): Record<string, fc.Arbitrary<Element>> {
  const maybe = fc.option(value, { freq: 3 });
  const roster = fc.record({
    jid: maybe, name: maybe, subscription: fc.option(fc.constantFrom('remove', 'both', 'none', 'to', 'from', ''), { freq: 2 }), ask: maybe,
    groups: fc.array(value, { maxLength: 3 }), items: fc.integer({ min: 0, max: 2 }),
  }).map(({ jid, name, subscription, ask, groups, items }) => element('query', { xmlns: NS.roster },
    ...Array.from({ length: items === 0 ? 1 : items }, () =>
      element('item', { jid, name, subscription, ask }, ...groups.map((group) => element('group', {}, group))))));
  const field = fc.record({ var: fc.constantFrom(...MAM_FIELDS), type: fc.option(fc.constantFrom('hidden', 'jid-single', 'text-single'), { freq: 2 }), values: fc.array(value, { maxLength: 3 }) })
    .map(({ var: name, type, values }) => element('field', { var: name, type },
      ...(name === 'FORM_TYPE' && values.length === 0 ? [NS.mam] : values).map((text) => element('value', {}, text))));
  const rsm = fc.record({ max: maybe, after: maybe, before: maybe, index: maybe })
    .map((slots) => element('set', { xmlns: NS.rsm },
      ...Object.entries(slots).filter(([, text]) => text !== null).map(([name, text]) => element(name, {}, text!))));
  const mamQuery = fc.record({
    queryid: maybe, node: fc.option(value, { freq: 6 }), formType: fc.option(fc.constantFrom('submit', 'form', 'cancel', ''), { freq: 4 }),
    fields: fc.array(field, { maxLength: 4 }), rsm: fc.option(rsm, { freq: 3 }), flip: fc.boolean(),
  }).map(({ queryid, node, formType, fields, rsm, flip }) => element('query', { xmlns: NS.mam, queryid, node },
    element('x', { xmlns: NS.dataForms, type: formType ?? 'submit' },
      element('field', { var: 'FORM_TYPE', type: 'hidden' }, element('value', {}, NS.mam)), ...fields),
    rsm, flip ? element('flip-page', {}) : null));
  const jids = fc.array(value, { maxLength: 3 }).map((list) => list.map((jid) => element('jid', {}, jid)));
  const prefs = fc.record({ default: fc.option(fc.constantFrom('always', 'never', 'roster', 'sometimes', ''), { freq: 4 }), always: fc.option(jids, { freq: 2 }), never: fc.option(jids, { freq: 2 }) })
    .map(({ default: policy, always, never }) => element('prefs', { xmlns: NS.mam, default: policy },
      always ? element('always', {}, ...always) : null, never ? element('never', {}, ...never) : null));
  const vcard = fc.record({
    fn: maybe, nick: maybe, type: maybe, binval: fc.option(fc.oneof(value, fc.base64String({ maxLength: 200 })), { freq: 3 }),
    email: maybe, tel: maybe, org: maybe,
  }).map(({ fn, nick, type, binval, email, tel, org }) => element('vCard', { xmlns: NS.vcard },
    fn === null ? null : element('FN', {}, fn), nick === null ? null : element('NICKNAME', {}, nick),
    binval === null && type === null ? null : element('PHOTO', {}, type === null ? null : element('TYPE', {}, type),
      binval === null ? null : element('BINVAL', {}, binval)),
    email === null ? null : element('EMAIL', {}, element('INTERNET', {}), element('USERID', {}, email)),
    tel === null ? null : element('TEL', {}, element('NUMBER', {}, tel)),
    org === null ? null : element('ORG', {}, element('ORGNAME', {}, org))));
  const node = (xmlns: string) => fc.option(value, { freq: 2 }).map((name) => element('query', { xmlns, node: name }));
  return {
    [`get ${NS.roster}`]: fc.option(value, { freq: 2 }).map((ver) => element('query', { xmlns: NS.roster, ver })),
    [`set ${NS.roster}`]: roster,
    [`set ${NS.mam}`]: fc.oneof(mamQuery, prefs),
    [`get ${NS.mam}`]: fc.constantFrom('query', 'metadata', 'prefs').map((name) => element(name, { xmlns: NS.mam })),
    [`set ${NS.vcard}`]: vcard,
    [`get ${NS.discoInfo}`]: node(NS.discoInfo),
    [`get ${NS.discoItems}`]: node(NS.discoItems),
  };
}
