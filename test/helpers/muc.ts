// XEP-0045 steps for tests: entering a room (waiting for the self-presence, status 110), creating
// instant and configured rooms, the owner's form, admin items, and predicates on room stanzas.
import { errorCondition, iq, received, xml, type Element, type LoggedInClient } from './im.ts';

export const MUC = 'http://jabber.org/protocol/muc';
export const MUC_USER = 'http://jabber.org/protocol/muc#user';
export const MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const SERVICE = 'conference.example.com';

export function roomJid(name: string): string {
  return `${name}@${SERVICE}`;
}

export function statusCodes(stanza: Element): string[] {
  return stanza.getChild('x', MUC_USER)?.getChildren('status').map((status) => status.attrs.code as string) ?? [];
}

export function itemOf(stanza: Element): Record<string, string> {
  return (stanza.getChild('x', MUC_USER)?.getChild('item')?.attrs ?? {}) as Record<string, string>;
}

export const isSelfPresence = (occupantJid: string) => (s: Element) => s.is('presence') && s.attrs.from === occupantJid && statusCodes(s).includes('110');
export const isPresenceOf = (occupantJid: string, type?: string) => (s: Element) => s.is('presence') && s.attrs.from === occupantJid && s.attrs.type === type;
export const isGroupchat = (body?: string) => (s: Element) => s.is('message') && s.attrs.type === 'groupchat' && s.getChild('body') !== undefined
  && (body === undefined || s.getChildText('body') === body);
export const isSubject = (room: string) => (s: Element) => s.is('message') && s.attrs.from?.startsWith(room) === true && s.getChild('subject') !== undefined && s.getChild('body') === undefined;

export interface JoinOptions {
  password?: string;
  history?: Record<string, string>;
  /** Leave out <x xmlns='muc'/> (an old groupchat 1.0 join). */
  bare?: boolean;
}

export function joinPresence(occupantJid: string, options: JoinOptions = {}): Element {
  return xml('presence', { to: occupantJid },
    options.bare ? null : xml('x', { xmlns: MUC },
      options.password !== undefined ? xml('password', {}, options.password) : null,
      options.history ? xml('history', options.history) : null));
}

/** Enters the room and resolves with the self-presence (after which history and subject follow). */
export async function join(client: LoggedInClient, room: string, nick: string, options: JoinOptions = {}): Promise<Element> {
  const occupantJid = `${room}/${nick}`;
  const self = client.next((s) => s.is('presence') && (isSelfPresence(occupantJid)(s) || (s.attrs.type === 'error' && s.attrs.from === occupantJid)));
  await client.xmpp.send(joinPresence(occupantJid, options));
  const answer = await self;
  if (answer.attrs.type === 'error') throw new Error(`join failed: ${errorCondition(answer)}`);
  await received(client, isSubject(room));
  return answer;
}

/** Sends a join that must fail; resolves with the error condition. */
export async function joinError(client: LoggedInClient, room: string, nick: string, options: JoinOptions = {}): Promise<string | undefined> {
  const occupantJid = `${room}/${nick}`;
  const error = client.next((s) => s.is('presence') && s.attrs.type === 'error' && s.attrs.from === occupantJid);
  await client.xmpp.send(joinPresence(occupantJid, options));
  return errorCondition(await error);
}

export function configForm(fields: Record<string, string | string[] | boolean>): Element {
  return xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
    ...Object.entries(fields).map(([name, value]) => xml('field', { var: name },
      ...(Array.isArray(value) ? value : [typeof value === 'boolean' ? (value ? '1' : '0') : value]).map((v) => xml('value', {}, v)))));
}

export function configure(client: LoggedInClient, room: string, fields: Record<string, string | string[] | boolean>): Promise<Element> {
  return iq(client, 'set', xml('query', { xmlns: MUC_OWNER }, configForm(fields)), room);
}

/** Creates a room (locked, status 201) and configures it; resolves once it is open. */
export async function createRoom(client: LoggedInClient, room: string, nick: string, fields: Record<string, string | string[] | boolean> = {}): Promise<Element> {
  const self = await join(client, room, nick);
  await configure(client, room, fields);
  return self;
}

export function adminItems(...items: Array<Record<string, string> & { reason?: string }>): Element {
  return xml('query', { xmlns: MUC_ADMIN }, ...items.map(({ reason, ...attrs }) => xml('item', attrs, reason ? xml('reason', {}, reason) : null)));
}

export function groupchat(room: string, body: string, id?: string): Element {
  return xml('message', { to: room, type: 'groupchat', id }, xml('body', {}, body));
}

let rooms = 0;
/** A room name of its own per test. */
export function newRoom(prefix = 'room'): string {
  rooms++;
  return roomJid(`${prefix}${rooms}-${process.pid}`);
}
