import { describe, expect, it } from 'vitest';
import { NS, StanzaError, xml, type Element } from '@parley/shared';
import { parseDateTime, parseQueryForm } from './form.ts';
import { parseRsm } from './rsm.ts';

const limits = { maxIds: 3, maxSearchLength: 50, maxSearchTerms: 3 };
const query = (...fields: Array<[string, string[]]>): Element => xml('query', { xmlns: NS.mam },
  xml('x', { xmlns: NS.dataForms, type: 'submit' },
    ...fields.map(([name, values]) => xml('field', { var: name }, ...values.map((v) => xml('value', {}, v))))));
const condition = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return (error as StanzaError).condition;
  }
  return 'no error';
};

describe('MAM query form (XEP-0313 §4.1)', () => {
  it('reads XEP-0082 dates strictly', () => {
    expect(parseDateTime('2010-06-07T00:00:00Z')).toBe(Date.UTC(2010, 5, 7));
    expect(parseDateTime('2010-06-07T02:00:00.250+02:00')).toBe(Date.UTC(2010, 5, 7, 0, 0, 0, 250));
    for (const bad of ['2010-06-07', '2010-06-07 00:00:00Z', '2010-02-30T00:00:00Z', '2010-13-01T00:00:00Z', 'yesterday']) {
      expect(parseDateTime(bad)).toBeNull();
    }
  });

  it('reads the fields it knows, and refuses the rest', () => {
    const form = parseQueryForm(query(['FORM_TYPE', [NS.mam]], ['with', ['Juliet@Capulet.lit/Balcony']],
      ['start', ['2010-06-07T00:00:00Z']], ['ids', ['a', 'b']], ['{urn:xmpp:fulltext:0}fulltext', ['Café wor*']]), limits);
    expect(form.with?.full).toBe('juliet@capulet.lit/Balcony');
    expect(form.start).toBe(Date.UTC(2010, 5, 7));
    expect(form.ids).toEqual(['a', 'b']);
    expect(form.fulltext).toEqual([{ words: ['cafe'], prefix: false }, { words: ['wor'], prefix: true }]);
    expect(parseQueryForm(xml('query', { xmlns: NS.mam }), limits)).toEqual({});
    expect(parseQueryForm(query(['with', ['']]), limits)).toEqual({});

    expect(condition(() => parseQueryForm(query(['FORM_TYPE', ['urn:other']]), limits))).toBe('bad-request');
    expect(condition(() => parseQueryForm(query(['unknown', ['x']]), limits))).toBe('feature-not-implemented');
    expect(condition(() => parseQueryForm(query(['with', ['a', 'b']]), limits))).toBe('bad-request');
    expect(condition(() => parseQueryForm(query(['start', ['2010-06-07T00:00:00Z']], ['start', ['2010-06-07T00:00:00Z']]), limits))).toBe('bad-request');
    expect(condition(() => parseQueryForm(query(['ids', ['1', '2', '3', '4']]), limits))).toBe('bad-request');
    expect(condition(() => parseQueryForm(query(['{urn:xmpp:fulltext:0}fulltext', ['a b c d']]), limits))).toBe('bad-request');
    expect(condition(() => parseQueryForm(query(['{urn:xmpp:fulltext:0}fulltext', ['x'.repeat(51)]]), limits))).toBe('bad-request');
    expect(condition(() => parseQueryForm(query(['end', ['soon']]), limits))).toBe('bad-request');
  });
});

describe('RSM in MAM queries (XEP-0059)', () => {
  const set = (...children: Element[]) => xml('query', { xmlns: NS.mam }, xml('set', { xmlns: NS.rsm }, ...children));
  it('reads max, after, before (empty: last page) and index', () => {
    expect(parseRsm(set(xml('max', {}, '10'), xml('after', {}, 'x')))).toEqual({ max: 10, after: 'x', index: undefined });
    expect(parseRsm(set(xml('before')))).toEqual({ before: '', max: undefined, index: undefined });
    expect(parseRsm(set(xml('index', {}, '4')))).toMatchObject({ index: 4 });
    expect(parseRsm(xml('query', { xmlns: NS.mam }))).toEqual({});
  });
  it('refuses what it cannot read', () => {
    expect(condition(() => parseRsm(set(xml('max', {}, '-1'))))).toBe('bad-request');
    expect(condition(() => parseRsm(set(xml('max', {}, 'ten'))))).toBe('bad-request');
    expect(condition(() => parseRsm(set(xml('after'))))).toBe('bad-request');
    expect(condition(() => parseRsm(set(xml('after', {}, 'a'), xml('before', {}, 'b'))))).toBe('bad-request');
    expect(condition(() => parseRsm(set(xml('index', {}, '2'), xml('after', {}, 'a'))))).toBe('bad-request');
  });
});
