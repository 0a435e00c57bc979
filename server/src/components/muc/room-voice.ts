// XEP-0045 §7.13 requesting voice and §8.6 approving voice requests (the muc#request FORM_TYPE,
// §15.5.2): a visitor in a moderated room submits the request form to the room; the room sends
// every moderator the approval form (the requested role, the visitor's JID and nickname,
// muc#request_allow); a moderator who submits it with muc#request_allow true grants voice as in
// §8.3 (the visitor becomes a participant, the new role in presence to everyone).
import { NS, StanzaError, tryParseJid, xml, type Element, type JID } from '@parley/shared';
import { mayChangeRole } from './affiliations.ts';
import { booleanValue, formElement, readSubmittedForm } from './data-forms.ts';
import type { Occupant } from './occupants.ts';
import { setRole } from './room-admin.ts';
import { senderOf } from './room-messages.ts';
import { occupantNick } from './room-presence.ts';
import type { Room } from './room.ts';

export const MUC_REQUEST = 'http://jabber.org/protocol/muc#request';

/** The muc#request data form a message carries (submitted or cancelled), if any. */
export function requestForm(message: Element): Element | undefined {
  for (const node of message.children) {
    if (typeof node === 'string' || node.name !== 'x' || node.attrs.xmlns !== NS.dataForms) continue;
    const formType = node.getChildren('field').find((field) => field.attrs.var === 'FORM_TYPE')?.getChildText('value');
    if (formType === MUC_REQUEST) return node;
  }
  return undefined;
}

/**
 * A muc#request form sent to the room: a visitor's request (§7.13), or a moderator's answer to the
 * approval form (§8.6, recognised by the fields only the approval form has).
 */
export function voiceForm(room: Room, form: Element, from: JID): void {
  const occupant = senderOf(room, from); // §7.4: not-acceptable to non-occupants
  const type = form.attrs.type;
  // XEP-0004 §3.1: a cancelled form is a moderator skipping the request
  if (type === 'cancel') return;
  if (type !== 'submit') throw new StanzaError('bad-request', 'a muc#request form is submitted (type submit)');
  const values = readSubmittedForm(form, MUC_REQUEST);
  const approval = values.has('muc#request_allow') || values.has('muc#jid') || values.has('muc#roomnick');
  if (approval) return approve(room, occupant, values);
  request(room, occupant, values, from);
}

/** §7.13: a visitor asks for the participant role; the moderators get the approval form. */
function request(room: Room, occupant: Occupant, values: Map<string, string[]>, from: JID): void {
  const role = values.get('muc#role');
  if (!role || role.length !== 1 || role[0]!.trim() !== 'participant') {
    throw new StanzaError('bad-request', 'a voice request asks for the role participant (muc#role)');
  }
  // only a visitor lacks voice (§5.1.1): a participant or moderator has nothing to ask for
  if (occupant.role !== 'visitor') throw new StanzaError('not-acceptable', 'you already have voice in this room');
  const options = room.services.options;
  const now = Date.now();
  if (now - occupant.lastVoiceRequest < options.voiceRequestInterval * 1000) {
    throw new StanzaError('resource-constraint', `one voice request per ${options.voiceRequestInterval} seconds; wait for the moderators`, 'wait');
  }
  occupant.lastVoiceRequest = now;
  const approvalForm = formElement('form', MUC_REQUEST, [
    { var: 'muc#role', type: 'list-single', label: 'Requested role', values: ['participant'], options: [{ value: 'participant', label: 'Participant' }] },
    { var: 'muc#jid', type: 'jid-single', label: 'User ID', values: [from.full] },
    { var: 'muc#roomnick', type: 'text-single', label: 'Room Nickname', values: [occupant.nick] },
    { var: 'muc#request_allow', type: 'boolean', label: 'Grant voice to this person?', values: ['false'] },
  ], 'Voice request');
  // §8.6: the instructions follow the title (XEP-0004 §3.1 order)
  approvalForm.children.splice(1, 0, xml('instructions', {},
    'To approve this request for voice, select the "Grant voice to this person?" checkbox and click OK. To skip this request, click the cancel button.'));
  const message = xml('message', { xmlns: NS.client, from: room.jid.bare, id: `voice-${now.toString(36)}-${occupant.occupantId.slice(0, 8)}` }, approvalForm);
  for (const moderator of room.occupants.values()) {
    if (moderator.role !== 'moderator') continue;
    for (const session of moderator.sessions.keys()) room.sendTo(session, message);
  }
}

/** §8.6: a moderator's answer; voice is granted when muc#request_allow is true. */
function approve(room: Room, moderator: Occupant, values: Map<string, string[]>): void {
  // §8: moderator use cases are refused to everyone else with forbidden
  if (moderator.role !== 'moderator') throw new StanzaError('forbidden', 'only moderators approve voice requests');
  const allow = booleanValue(values.get('muc#request_allow'), 'muc#request_allow') ?? false;
  const target = requestedOccupant(room, values);
  if (!allow) return;
  if (target.role !== 'visitor') return; // granted already (by another moderator, or the admin list)
  const affiliation = room.affiliationOf(target.bare);
  if (!mayChangeRole(moderator.role, room.affiliationOf(moderator.bare), affiliation, 'participant', target.role)) {
    throw new StanzaError('not-allowed', `you may not give ${target.nick.slice(0, 64)} voice`);
  }
  setRole(room, target, 'participant', moderator.nick);
}

/** The occupant an approval names: by the real JID of the request, else by nickname. */
function requestedOccupant(room: Room, values: Map<string, string[]>): Occupant {
  const jid = values.get('muc#jid')?.[0]?.trim();
  const nick = values.get('muc#roomnick')?.[0];
  if (!jid && !nick) throw new StanzaError('bad-request', 'the approval names the occupant (muc#jid or muc#roomnick)');
  let target: Occupant | undefined;
  if (jid) {
    // the real JID decides: the nickname may have passed to someone else since the request
    const parsed = tryParseJid(jid);
    if (!parsed) throw new StanzaError('jid-malformed', 'muc#jid is not a JID');
    target = room.bySession.get(parsed.full) ?? (parsed.resource === '' ? room.occupantsOf(parsed.bare)[0] : undefined);
  } else if (nick) {
    target = room.occupants.get(occupantNick(nick).key);
  }
  if (!target) throw new StanzaError('item-not-found', 'the occupant who asked for voice is not in the room');
  return target;
}
