// What the stanza generators build from: per namespace, the payload element names a handler expects
// and the children and attributes its protocol uses, plus values chosen to sit on boundaries (empty,
// huge, negative, malformed JIDs and dates, Unicode that case folding and PRECIS change).
import { NS } from '@parley/shared';

export interface NamespaceVocabulary {
  /** The payload element names the protocol defines (RFC 6120 §8.2.3: one payload per get/set). */
  payloads: string[];
  children: string[];
  attributes: string[];
}

const dataForm = ['x', 'field', 'value', 'option', 'required', 'title', 'instructions', 'reported', 'item'];
const rsm = ['set', 'max', 'after', 'before', 'index', 'first', 'last', 'count'];

export const VOCABULARY: Record<string, NamespaceVocabulary> = {
  [NS.roster]: { payloads: ['query'], children: ['item', 'group'], attributes: ['ver', 'jid', 'name', 'subscription', 'ask', 'approved'] },
  [NS.discoInfo]: { payloads: ['query'], children: ['identity', 'feature', 'item'], attributes: ['node', 'var', 'category', 'type', 'name'] },
  [NS.discoItems]: { payloads: ['query'], children: ['item'], attributes: ['node', 'jid', 'name'] },
  [NS.ping]: { payloads: ['ping'], children: [], attributes: [] },
  [NS.version]: { payloads: ['query'], children: ['name', 'version', 'os'], attributes: [] },
  [NS.vcard]: {
    payloads: ['vCard'],
    children: ['FN', 'N', 'FAMILY', 'GIVEN', 'MIDDLE', 'NICKNAME', 'PHOTO', 'TYPE', 'BINVAL', 'EXTVAL', 'EMAIL', 'USERID',
      'INTERNET', 'PREF', 'TEL', 'NUMBER', 'VOICE', 'WORK', 'HOME', 'ORG', 'ORGNAME', 'ORGUNIT', 'TITLE', 'URL', 'DESC', 'BDAY', 'JABBERID'],
    attributes: ['version', 'prodid'],
  },
  [NS.mam]: {
    payloads: ['query', 'prefs', 'metadata'],
    children: [...dataForm, ...rsm, 'flip-page', 'always', 'never', 'jid', 'start', 'end', 'with', 'fulltext'],
    attributes: ['queryid', 'node', 'var', 'type', 'default', 'label'],
  },
  [NS.pubsub]: {
    payloads: ['pubsub'],
    children: ['publish', 'item', 'items', 'retract', 'create', 'configure', 'subscribe', 'unsubscribe', 'subscriptions',
      'affiliations', 'default', 'options', 'publish-options', ...dataForm, 'tune', 'title', 'nick'],
    attributes: ['node', 'id', 'max_items', 'jid', 'notify', 'subid', 'var', 'type'],
  },
  [NS.pubsubOwner]: {
    payloads: ['pubsub'],
    children: ['configure', 'delete', 'purge', 'default', 'affiliations', 'affiliation', 'subscriptions', 'subscription', ...dataForm],
    attributes: ['node', 'jid', 'affiliation', 'subscription', 'var', 'type'],
  },
  [NS.privateStorage]: { payloads: ['query'], children: ['storage', 'conference', 'nick', 'password', 'prefs'], attributes: ['jid', 'name', 'autojoin'] },
};

/** Namespaces children may be put in (forms, paging, …), besides their payload's own. */
export const CHILD_NAMESPACES = [NS.dataForms, NS.rsm, NS.mam, NS.forward, NS.delay, NS.stanzaIds, 'urn:example:unknown'];

/** Namespaces no handler here serves (the service-unavailable path, RFC 6120 §8.3.3.19). */
export const UNSERVED_NAMESPACES = [
  'urn:xmpp:blocking', 'jabber:iq:register', 'urn:xmpp:carbons:2',
  'jabber:iq:last', 'urn:xmpp:time', 'http://jabber.org/protocol/commands', 'urn:example:unknown', '',
];

/** Message extensions (XEP-0085, 0184, 0334, 0359, 0313, 0297, 0203, 0066, 0004). */
export const MESSAGE_EXTENSIONS: Array<[string, string]> = [
  ['active', NS.chatStates], ['composing', NS.chatStates], ['paused', NS.chatStates], ['gone', NS.chatStates],
  ['request', NS.receipts], ['received', NS.receipts],
  ['no-store', NS.hints], ['store', NS.hints], ['no-permanent-store', NS.hints], ['no-copy', NS.hints],
  ['stanza-id', NS.stanzaIds], ['origin-id', NS.stanzaIds],
  ['result', NS.mam], ['forwarded', NS.forward], ['delay', NS.delay],
  ['x', 'jabber:x:oob'], ['x', NS.dataForms], ['x', NS.vcardUpdate], ['event', 'urn:example:unknown'],
];

/** Presence extensions (XEP-0115 caps, XEP-0153 photo hash, XEP-0203 delay, MUC). */
export const PRESENCE_EXTENSIONS: Array<[string, string]> = [
  ['c', 'http://jabber.org/protocol/caps'], ['x', NS.vcardUpdate], ['delay', NS.delay],
  ['x', 'http://jabber.org/protocol/muc'], ['nick', 'http://jabber.org/protocol/nick'], ['idle', 'urn:xmpp:idle:1'],
];

export const STANZA_CHILDREN = {
  message: ['body', 'subject', 'thread', 'error'],
  presence: ['show', 'status', 'priority', 'error'],
  attributes: ['xml:lang', 'hash', 'node', 'ver', 'by', 'id', 'stamp', 'from', 'jid', 'type', 'var', 'code', 'queryid'],
};

/** Attribute and text values at the edges. JIDs of the test's accounts are added by the generators. */
export const EDGE_VALUES = [
  '', ' ', '0', '1', '-1', '5', '50', '128', '-129', '1000', '2147483648', '-99999999999999999999', '1e3', 'NaN', '1.5', '0x10',
  'true', 'false', 'none', 'to', 'from', 'both', 'remove', 'REMOVE', 'subscribe', 'away', 'chat', 'dnd', 'xa',
  '2024-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z', '2024-13-45T99:99:99Z', '2024-01-01', 'yesterday', '9999-12-31T23:59:59Z',
  NS.mam, NS.dataForms, 'FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids', `{${NS.fulltext}}fulltext`,
  'hidden', 'submit', 'form', 'cancel', 'text-single', 'jid-single', 'list-multi', 'boolean', 'always', 'never', 'roster',
  'hello', 'hel*', '"good morning"', '"', '*', '**', 'AND', 'NEAR(a b)', 'a:b', '^', 'x'.repeat(600), 'y'.repeat(5000),
  'été', 'ℌ', '😀', 'ß', 'İ', 'ﬀ', 'Ⅻ', '\u200b', 'a\u0301', 'iVBORw0KGgo=', '!!not base64!!', 'image/png', 'sha-1',
  'http://example.com/', 'urn:xmpp:mam:2#extended', 'pubsub#access_model', 'pubsub#max_items', 'max', 'open', 'presence', 'whitelist',
  'http://jabber.org/protocol/pubsub#publish-options', 'http://jabber.org/protocol/pubsub#node_config', 'urn:xmpp:avatar:metadata',
  'storage:bookmarks', 'urn:xmpp:bookmarks:1', 'member', 'outcast', 'owner', 'iq', 'message', '<', '>', '&', ']]>',
];

/** Well-formed but hostile JIDs (RFC 7622): not served, malformed, over-long, needing normalization. */
export const EDGE_JIDS = [
  'example.net', 'someone@example.net', 'someone@example.net/res', '@example.com', 'a@b@example.com', '/resource',
  'user@', 'User@EXAMPLE.COM', 'ℌ@example.com', 'user@example.com/', `${'l'.repeat(1100)}@example.com`,
  `user@example.com/${'r'.repeat(1100)}`, 'user name@example.com', 'user@[::1]', 'user@127.0.0.1', 'example.com/res',
  'user@exa_mple.com', 'user@.com', '😀@example.com', 'user@example.com/😀',
];
