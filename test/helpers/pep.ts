// Clients that announce XEP-0115 caps (and answer the server's disco#info about them), and the
// XEP-0060 requests PEP tests send.
import type { Element } from '@xmpp/xml';
import { verificationString } from '../../server/src/modules/caps/verification.ts';
import { login, type ServerPorts } from './clients.ts';
import { bare, iq, passwordOf, xml, type LoggedInClient } from './im.ts';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const NS_INFO = 'http://jabber.org/protocol/disco#info';
export const CAPS_NODE = 'https://parley.test/caps';

export interface CapsClient extends LoggedInClient {
  /** disco#info queries the server sent this client about its caps. */
  capsQueries: Element[];
}

/** The disco#info <query/> a client with these features answers. */
export function discoInfo(features: readonly string[], node?: string): Element {
  return xml('query', { xmlns: NS_INFO, node },
    xml('identity', { category: 'client', type: 'pc', name: 'Parley test' }),
    ...[NS_INFO, NS_CAPS, ...features].map((feature) => xml('feature', { var: feature })));
}

/** The <c/> element for these features (XEP-0115 §5.1 sha-1), or with `ver` forced (an unverifiable one). */
export function capsElement(features: readonly string[], ver?: string): Element {
  return xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver: ver ?? verificationString(discoInfo(features), 'sha-1')! });
}

/**
 * Logs in, answers disco#info with `features` (the '+notify' ones say which PEP nodes it wants) and
 * sends initial presence with caps; waits for the presence's reflection.
 */
export async function onlineWithCaps(server: ServerPorts, jid: string, features: readonly string[],
  options: { ver?: string; resource?: string } = {}): Promise<CapsClient> {
  const client = await login(server, jid, passwordOf(jid), { presence: false, resource: options.resource }) as CapsClient;
  client.capsQueries = [];
  // @xmpp/client has an iqCallee; its type declarations leave it out
  const callee = (client.xmpp as unknown as { iqCallee: { get(ns: string, name: string, handler: (context: { stanza: Element; element: Element }) => Element): void } }).iqCallee;
  callee.get(NS_INFO, 'query', (context) => {
    client.capsQueries.push(context.stanza);
    return discoInfo(features, context.element.attrs.node);
  });
  const reflected = client.next((s) => s.is('presence') && s.attrs.from === client.jid && s.attrs.type === undefined);
  await client.xmpp.send(xml('presence', {}, capsElement(features, options.ver)));
  await reflected;
  return client;
}

export const notify = (node: string) => `${node}+notify`;

/** publish (optionally with publish-options: { 'pubsub#access_model': 'open' }) */
export function publish(client: LoggedInClient, node: string, payload: Element | null, options: { id?: string; publishOptions?: Record<string, string> } = {}) {
  return iq(client, 'set', publishRequest(node, payload, options));
}

export function publishRequest(node: string, payload: Element | null, options: { id?: string; publishOptions?: Record<string, string> } = {}): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB },
    xml('publish', { node }, xml('item', { id: options.id }, payload)),
    options.publishOptions ? xml('publish-options', {}, form('http://jabber.org/protocol/pubsub#publish-options', options.publishOptions)) : null);
}

export function form(formType: string, values: Record<string, string | string[]>): Element {
  return xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    ...Object.entries(values).map(([name, value]) => xml('field', { var: name },
      ...(Array.isArray(value) ? value : [value]).map((v) => xml('value', {}, v)))));
}

export function itemsRequest(node: string, options: { ids?: string[]; max?: number } = {}): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB },
    xml('items', { node, max_items: options.max === undefined ? undefined : String(options.max) }, ...(options.ids ?? []).map((id) => xml('item', { id }))));
}

/** The items of a node as the owner's service returns them: [id, payload text] newest first. */
export async function itemsOf(client: LoggedInClient, owner: string, node: string, options: { ids?: string[]; max?: number } = {}) {
  const result = await iq(client, 'get', itemsRequest(node, options), bare(owner));
  return result.getChild('pubsub', NS_PUBSUB)!.getChild('items')!.getChildren('item')
    .map((item) => [item.attrs.id as string, item.children.length ? item.children.map(String).join('') : '']);
}

/** A PEP event notification for `node` (from the owner's bare JID). */
export const isEvent = (owner: string, node: string) => (s: Element) => s.is('message') && s.attrs.from === bare(owner)
  && s.getChild('event', NS_EVENT)?.getChild(node === '*' ? 'items' : 'items')?.attrs.node === node;

/** A published item's id in a notification. */
export function eventItems(message: Element): string[] {
  return message.getChild('event', NS_EVENT)!.getChild('items')!.getChildren('item').map((item) => item.attrs.id as string);
}

/** A stanza error's pubsub#errors condition (XEP-0060 §7.1.3). */
export async function pubsubError(client: LoggedInClient, type: 'get' | 'set', payload: Element, to?: string) {
  const { text: _text, ...error } = await pubsubErrorWithText(client, type, payload, to);
  return error;
}

/** The same, with the error's <text/>. */
export async function pubsubErrorWithText(client: LoggedInClient, type: 'get' | 'set', payload: Element, to?: string) {
  const id = `e${Math.random().toString(36).slice(2)}`;
  const reply = client.next((s) => s.is('iq') && s.attrs.id === id);
  await client.xmpp.send(xml('iq', { type, id, to }, payload));
  const error = (await reply).getChild('error');
  if (!error) throw new Error('expected an error');
  const children = error.children.filter((c): c is Element => typeof c !== 'string');
  return {
    type: error.attrs.type as string,
    condition: children.find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name,
    pubsub: children.find((c) => c.attrs.xmlns === NS_ERRORS)?.name,
    text: error.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? undefined,
  };
}
