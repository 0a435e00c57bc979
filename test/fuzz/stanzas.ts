// fast-check generators of well-formed but hostile stanzas: iq payloads for every registered handler
// (and for namespaces nobody serves), messages and presence with the extensions the modules look at,
// addressed to the fuzzer itself, other accounts, the server, foreign domains and malformed JIDs.
import fc from 'fast-check';
import { Element } from 'ltx';
import { NS } from '@parley/shared';
import {
  CHILD_NAMESPACES, EDGE_JIDS, EDGE_VALUES, MESSAGE_EXTENSIONS, PRESENCE_EXTENSIONS, STANZA_CHILDREN, UNSERVED_NAMESPACES,
  VOCABULARY, type NamespaceVocabulary,
} from './vocabulary.ts';
import { templates } from './templates.ts';

export interface World {
  domain: string;
  /** The fuzzer's bound full JID. */
  self: string;
  /** Other accounts: the bystander's full and bare JID, an offline account, one that does not exist. */
  others: string[];
  /** Every registered iq handler (Modules.registeredIqs()). */
  handlers: Array<{ target: 'host' | 'account'; type: 'get' | 'set'; xmlns: string }>;
}

export interface FuzzStanza {
  /** What goes on the wire. */
  xml: string;
  /** An iq get/set whose answer (result or error, RFC 6120 §8.2.3) the test waits for. */
  answerId?: string;
  /** The iq handler it was made for: "host get urn:xmpp:ping". */
  handler?: string;
}

const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text XML 1.0 allows (§2.2): the stream parser's own limits are the raw fuzzer's job. */
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).map((value) => value.replace(XML_INVALID, ''));
const xmlName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9._-]{0,11}$/);
const edge = <T>(values: readonly T[]) => fc.constantFrom(...values);
/** The value one time in four, else null. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

export function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}

function values(world: World): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: edge(EDGE_VALUES) },
    { weight: 2, arbitrary: edge([world.self, bareOf(world.self), world.domain, ...world.others]) },
    { weight: 1, arbitrary: edge(EDGE_JIDS) },
    { weight: 2, arbitrary: text },
  );
}

/** A JID another stanza is addressed to (never the fuzzer's own full JID: it would get its own iqs). */
function addressee(world: World): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: edge(world.others) },
    { weight: 2, arbitrary: fc.constant(bareOf(world.self)) },
    { weight: 1, arbitrary: fc.constant(world.domain) },
    { weight: 2, arbitrary: edge(EDGE_JIDS) },
  );
}

/** A name one edit away from one the protocol defines: `quxery` for `query`. */
function mutatedName(names: string[]): fc.Arbitrary<string> {
  return fc.tuple(edge(names), fc.nat(), edge([...'abcdefghijklmnopqrstuvwxyzQX_-.0']), edge(['insert', 'delete', 'replace', 'case'] as const))
    .map(([name, at, char, edit]) => {
      const i = at % (name.length + 1);
      const mutated = edit === 'insert' ? name.slice(0, i) + char + name.slice(i)
        : edit === 'delete' ? name.slice(0, i) + name.slice(i + 1)
          : edit === 'replace' ? name.slice(0, i) + char + name.slice(i + 1)
            : name.toUpperCase() === name ? name.toLowerCase() : name.toUpperCase();
      return /^[a-zA-Z_]/.test(mutated) ? mutated : `x${mutated}`;
    })
    .filter((name) => !names.includes(name));
}

/** A subtree of elements from the vocabulary (and some others), with edge values in attributes and text. */
function tree(world: World, vocabulary: NamespaceVocabulary, depth: number): fc.Arbitrary<Element> {
  const names = vocabulary.children.length > 0 ? vocabulary.children : ['item', 'x', 'query'];
  const attributes = [...vocabulary.attributes, ...STANZA_CHILDREN.attributes];
  return fc.record({
    name: fc.oneof({ weight: 6, arbitrary: edge(names) }, { weight: 1, arbitrary: xmlName }),
    attrs: fc.dictionary(edge(attributes), values(world), { maxKeys: 3 }),
    xmlns: rarely(edge(CHILD_NAMESPACES)),
    text: fc.option(values(world), { freq: 2 }),
    children: depth > 0 ? fc.array(tree(world, vocabulary, depth - 1), { maxLength: 3 }) : fc.constant<Element[]>([]),
  }).map(({ name, attrs, xmlns, text, children }) => build(name, { ...attrs, ...(xmlns ? { xmlns } : {}) }, text, children));
}

function build(name: string, attrs: Record<string, string | undefined>, text: string | null, children: Element[]): Element {
  const element = new Element(name, attrs);
  if (text) element.t(text);
  for (const child of children) element.cnode(child);
  return element;
}

/**
 * An iq payload in `xmlns`: the element name the protocol defines (often shaped like a real request,
 * templates.ts), or (mutateNames) one that is not.
 */
function payload(world: World, type: string, xmlns: string, mutateNames: boolean): fc.Arbitrary<Element> {
  const template = mutateNames ? undefined : templates(values(world))[`${type} ${xmlns}`];
  const generic = anyPayload(world, xmlns, mutateNames);
  return template ? fc.oneof({ weight: 2, arbitrary: template }, { weight: 1, arbitrary: generic }) : generic;
}

function anyPayload(world: World, xmlns: string, mutateNames: boolean): fc.Arbitrary<Element> {
  const vocabulary = VOCABULARY[xmlns] ?? { payloads: ['query'], children: [], attributes: ['node'] };
  const expected = vocabulary.payloads;
  const name = mutateNames
    ? fc.oneof({ weight: 3, arbitrary: mutatedName(expected) }, { weight: 1, arbitrary: edge(['query', 'item', 'ping', 'vCard', 'prefs', 'x']) })
      .filter((candidate) => !expected.includes(candidate))
    : edge(expected);
  return fc.record({
    name,
    attrs: fc.dictionary(edge([...vocabulary.attributes, 'node', 'ver', 'queryid']), values(world), { maxKeys: 2 }),
    children: fc.array(tree(world, vocabulary, 2), { maxLength: 4 }),
  }).map(({ name, attrs, children }) => build(name, { ...attrs, xmlns }, null, children));
}

const idKinds = fc.oneof({ weight: 12, arbitrary: fc.constant('plain' as const) }, { weight: 1, arbitrary: edge(['missing', 'empty', 'odd'] as const) });

function idOf(kind: 'plain' | 'missing' | 'empty' | 'odd', n: number): string | undefined {
  return kind === 'missing' ? undefined : kind === 'empty' ? '' : kind === 'odd' ? `"<&>' ${n}` : `fz-${n}`;
}

/**
 * An iq get or set for one handler (or a namespace nobody serves): mostly of the right type, to the
 * handler's kind of address, with one payload; sometimes none or two, another type, no id.
 */
export function iq(world: World, options: { mutateNames: boolean }): fc.Arbitrary<FuzzStanza> {
  const unserved = UNSERVED_NAMESPACES.map((xmlns) => ({ target: 'account' as const, type: 'get' as const, xmlns }));
  return fc.oneof({ weight: 6, arbitrary: edge(world.handlers) }, { weight: 1, arbitrary: edge(unserved) }).chain((handler) => fc.record({
    to: handler.target === 'host'
      ? fc.oneof({ weight: 8, arbitrary: fc.constant(world.domain) }, { weight: 1, arbitrary: addressee(world) })
      : fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.constant(bareOf(world.self)) },
        { weight: 2, arbitrary: addressee(world) }),
    type: fc.oneof({ weight: 10, arbitrary: fc.constant(handler.type) }, { weight: 1, arbitrary: edge(['get', 'set', 'result', 'error', 'bogus']) }),
    idKind: idKinds,
    n: fc.nat(),
    payloads: fc.oneof(
      { weight: 12, arbitrary: payload(world, handler.type, handler.xmlns, options.mutateNames).map((one) => [one]) },
      { weight: 1, arbitrary: fc.array(payload(world, handler.type, handler.xmlns, options.mutateNames), { maxLength: 2 }) },
    ),
    whitespace: fc.boolean(),
    handler: fc.constant(`${handler.target} ${handler.type} ${handler.xmlns}`),
  })).map(({ to, type, idKind, n, payloads, whitespace, handler }) => {
    const id = idOf(idKind, n);
    const stanza = new Element('iq', { type, id, to });
    for (const child of payloads) {
      if (whitespace) stanza.t('\n  ');
      stanza.cnode(child);
    }
    const answered = (type === 'get' || type === 'set') && id !== undefined && id !== '';
    return { xml: stanza.toString(), handler, ...(answered ? { answerId: id } : {}) };
  });
}

function extension(world: World, known: Array<[string, string]>): fc.Arbitrary<Element> {
  return fc.record({
    kind: edge(known),
    attrs: fc.dictionary(edge(STANZA_CHILDREN.attributes), values(world), { maxKeys: 3 }),
    children: fc.array(tree(world, VOCABULARY[NS.mam]!, 1), { maxLength: 2 }),
  }).map(({ kind: [name, xmlns], attrs, children }) => build(name, { ...attrs, xmlns }, null, children));
}

/** A message (RFC 6121 §5) of any type with bodies, threads and extensions, to anyone. */
export function message(world: World): fc.Arbitrary<FuzzStanza> {
  const simple = fc.tuple(edge(STANZA_CHILDREN.message), fc.option(values(world), { freq: 4 }),
    rarely(edge(['en', 'fr', '', 'x-bogus'])))
    .map(([name, content, lang]) => build(name, lang === null ? {} : { 'xml:lang': lang }, content, []));
  return fc.record({
    type: fc.option(edge(['chat', 'normal', 'headline', 'groupchat', 'error', 'bogus']), { freq: 4 }),
    to: fc.oneof({ weight: 6, arbitrary: addressee(world) }, { weight: 1, arbitrary: fc.constant(world.self) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    id: fc.option(fc.nat().map((n) => `m-${n}`), { freq: 4 }),
    children: fc.array(fc.oneof({ weight: 3, arbitrary: simple }, { weight: 3, arbitrary: extension(world, MESSAGE_EXTENSIONS) },
      { weight: 1, arbitrary: tree(world, VOCABULARY[NS.mam]!, 2) }), { maxLength: 5 }),
  }).map(({ type, to, id, children }) => ({ xml: build('message', { type: type ?? undefined, to, id: id ?? undefined }, null, children).toString() }));
}

/** A presence (RFC 6121 §3, §4): broadcast, directed, subscription requests and answers, probes. */
export function presence(world: World): fc.Arbitrary<FuzzStanza> {
  const simple = fc.tuple(edge(STANZA_CHILDREN.presence), fc.option(values(world), { freq: 5 }))
    .map(([name, content]) => build(name, {}, content, []));
  return fc.record({
    type: fc.option(edge(['unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error', 'bogus']), { freq: 3 }),
    to: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 6, arbitrary: addressee(world) }, { weight: 1, arbitrary: fc.constant(world.self) }),
    children: fc.array(fc.oneof({ weight: 3, arbitrary: simple }, { weight: 2, arbitrary: extension(world, PRESENCE_EXTENSIONS) }), { maxLength: 4 }),
  }).map(({ type, to, children }) => ({ xml: build('presence', { type: type ?? undefined, to }, null, children).toString() }));
}

/** One to four stanzas of any kind, sent back to back. */
export function mixed(world: World): fc.Arbitrary<FuzzStanza[]> {
  return fc.array(fc.oneof(iq(world, { mutateNames: false }), message(world), presence(world)), { minLength: 1, maxLength: 4 });
}
