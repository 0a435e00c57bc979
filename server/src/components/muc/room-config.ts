// XEP-0045 §10.2 room configuration: every standard muc#roomconfig field (§15.5.3, the
// muc#roomconfig FORM_TYPE registry), its default, the owner's form and reading a submitted one.
import { StanzaError, type Element } from '@parley/shared';
import { isRole, type Role } from './affiliations.ts';
import { bool, booleanValue, formElement, readSubmittedForm, type FieldDefinition } from './data-forms.ts';

export const ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';

export type AllowPm = 'anyone' | 'participants' | 'moderators' | 'none';
export type Whois = 'moderators' | 'anyone';

export interface RoomConfig {
  name: string;
  description: string;
  language: string;
  persistent: boolean;
  public: boolean;
  membersOnly: boolean;
  moderated: boolean;
  passwordProtected: boolean;
  password: string;
  /** 0: the service's limit. */
  maxUsers: number;
  whois: Whois;
  /** muc#maxhistoryfetch: messages a joining occupant may get. */
  historyLength: number;
  allowInvites: boolean;
  changeSubject: boolean;
  allowPm: AllowPm;
  presenceBroadcast: Role[];
  getMemberList: Role[];
  pubsub: string;
  enableLogging: boolean;
}

export interface ConfigLimits {
  maxOccupants: number;
  maxHistory: number;
  defaultHistory: number;
  /** New rooms are logged (archived) unless the owner turns it off. */
  logByDefault: boolean;
}

export function defaultConfig(limits: ConfigLimits): RoomConfig {
  return {
    name: '', description: '', language: '', persistent: false, public: true, membersOnly: false,
    moderated: false, passwordProtected: false, password: '', maxUsers: 0, whois: 'moderators',
    historyLength: limits.defaultHistory, allowInvites: false, changeSubject: false, allowPm: 'anyone',
    presenceBroadcast: ['moderator', 'participant', 'visitor'], getMemberList: ['moderator', 'participant', 'visitor'],
    pubsub: '', enableLogging: limits.logByDefault,
  };
}

const ROLE_OPTIONS = [{ value: 'moderator', label: 'Moderator' }, { value: 'participant', label: 'Participant' }, { value: 'visitor', label: 'Visitor' }];

/** §10.2 the configuration form, with the room's current values (owners and admins as jid-multi). */
export function configForm(config: RoomConfig, owners: string[], admins: string[], limits: ConfigLimits, room: string): Element {
  const maxUsers = config.maxUsers || limits.maxOccupants;
  const userOptions = [...new Set([10, 20, 30, 50, 100, 200, 500, 1000, maxUsers].filter((n) => n <= limits.maxOccupants))].sort((a, b) => a - b);
  const fields: FieldDefinition[] = [
    { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Name', values: [config.name] },
    { var: 'muc#roomconfig_roomdesc', type: 'text-single', label: 'Description', values: [config.description] },
    { var: 'muc#roomconfig_lang', type: 'text-single', label: 'Language of discussion', values: [config.language] },
    { var: 'muc#roomconfig_enablelogging', type: 'boolean', label: 'Archive messages (message archive, full-text search)', values: [bool(config.enableLogging)] },
    { var: 'muc#roomconfig_changesubject', type: 'boolean', label: 'Participants may change the subject', values: [bool(config.changeSubject)] },
    { var: 'muc#roomconfig_allowinvites', type: 'boolean', label: 'Participants may invite others', values: [bool(config.allowInvites)] },
    { var: 'muc#roomconfig_allowpm', type: 'list-single', label: 'Who may send private messages', values: [config.allowPm],
      options: [{ value: 'anyone', label: 'Anyone' }, { value: 'participants', label: 'Participants' }, { value: 'moderators', label: 'Moderators' }, { value: 'none', label: 'Nobody' }] },
    { var: 'muc#roomconfig_maxusers', type: 'list-single', label: 'Maximum number of occupants', values: [String(maxUsers)],
      options: userOptions.map((n) => ({ value: String(n) })) },
    { var: 'muc#roomconfig_presencebroadcast', type: 'list-multi', label: 'Roles whose presence is broadcast', values: config.presenceBroadcast, options: ROLE_OPTIONS },
    { var: 'muc#roomconfig_getmemberlist', type: 'list-multi', label: 'Roles that may retrieve the member list', values: config.getMemberList, options: ROLE_OPTIONS },
    { var: 'muc#roomconfig_publicroom', type: 'boolean', label: 'Listed in the room directory', values: [bool(config.public)] },
    { var: 'muc#roomconfig_persistentroom', type: 'boolean', label: 'Persistent (stays when the last occupant leaves)', values: [bool(config.persistent)] },
    { var: 'muc#roomconfig_moderatedroom', type: 'boolean', label: 'Moderated (only participants may speak)', values: [bool(config.moderated)] },
    { var: 'muc#roomconfig_membersonly', type: 'boolean', label: 'Members only', values: [bool(config.membersOnly)] },
    { var: 'muc#roomconfig_passwordprotectedroom', type: 'boolean', label: 'Password protected', values: [bool(config.passwordProtected)] },
    { var: 'muc#roomconfig_roomsecret', type: 'text-private', label: 'Password', values: [config.password] },
    { var: 'muc#roomconfig_whois', type: 'list-single', label: 'Who may discover real JIDs', values: [config.whois],
      options: [{ value: 'moderators', label: 'Moderators only' }, { value: 'anyone', label: 'Anyone' }] },
    { var: 'muc#maxhistoryfetch', type: 'text-single', label: `Messages of history sent on join (at most ${limits.maxHistory})`, values: [String(config.historyLength)] },
    { var: 'muc#roomconfig_roomadmins', type: 'jid-multi', label: 'Room admins', values: admins },
    { var: 'muc#roomconfig_roomowners', type: 'jid-multi', label: 'Room owners', values: owners },
    { var: 'muc#roomconfig_pubsub', type: 'text-single', label: 'XEP-0060 node for the room', values: [config.pubsub] },
  ];
  return formElement('form', ROOMCONFIG, fields, `Configuration of ${room}`);
}

export interface SubmittedConfig {
  config: RoomConfig;
  /** When the form names them: the complete owner and admin lists. */
  owners?: string[];
  admins?: string[];
}

/** Reads a submitted form over the current configuration (fields left out keep their value). */
export function applyConfigForm(x: Element, current: RoomConfig, limits: ConfigLimits, parseJid: (text: string) => string): SubmittedConfig {
  const form = readSubmittedForm(x, ROOMCONFIG);
  const config: RoomConfig = { ...current, presenceBroadcast: [...current.presenceBroadcast], getMemberList: [...current.getMemberList] };
  const text = (name: string, max = 1024): string | undefined => {
    const value = form.get(name);
    if (value === undefined) return undefined;
    const joined = value.join('\n');
    if (joined.length > max) throw new StanzaError('not-acceptable', `${name} is longer than ${max} characters`);
    return joined;
  };
  const flag = (name: string): boolean | undefined => booleanValue(form.get(name), name);
  const choice = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = form.get(name)?.[0];
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) throw new StanzaError('not-acceptable', `${name}: ${value.slice(0, 64)} is not an option`);
    return value as T;
  };
  const roles = (name: string): Role[] | undefined => {
    const values = form.get(name);
    if (values === undefined) return undefined;
    for (const value of values) if (!isRole(value) || value === 'none') throw new StanzaError('not-acceptable', `${name}: ${value.slice(0, 64)} is not a role`);
    return [...new Set(values)] as Role[];
  };
  const count = (name: string, max: number): number | undefined => {
    const value = form.get(name)?.[0]?.trim();
    if (value === undefined || value === '') return undefined;
    if (value === 'none') return 0;
    if (!/^\d{1,9}$/.test(value)) throw new StanzaError('not-acceptable', `${name} must be a number`);
    return Math.min(Number(value), max);
  };
  config.name = text('muc#roomconfig_roomname', 256) ?? config.name;
  config.description = text('muc#roomconfig_roomdesc') ?? config.description;
  config.language = text('muc#roomconfig_lang', 35) ?? config.language;
  config.enableLogging = flag('muc#roomconfig_enablelogging') ?? config.enableLogging;
  config.changeSubject = flag('muc#roomconfig_changesubject') ?? config.changeSubject;
  config.allowInvites = flag('muc#roomconfig_allowinvites') ?? config.allowInvites;
  config.allowPm = choice('muc#roomconfig_allowpm', ['anyone', 'participants', 'moderators', 'none'] as const) ?? config.allowPm;
  const maxUsers = count('muc#roomconfig_maxusers', limits.maxOccupants);
  if (maxUsers !== undefined) config.maxUsers = maxUsers;
  config.presenceBroadcast = roles('muc#roomconfig_presencebroadcast') ?? config.presenceBroadcast;
  config.getMemberList = roles('muc#roomconfig_getmemberlist') ?? config.getMemberList;
  config.public = flag('muc#roomconfig_publicroom') ?? config.public;
  config.persistent = flag('muc#roomconfig_persistentroom') ?? config.persistent;
  config.moderated = flag('muc#roomconfig_moderatedroom') ?? config.moderated;
  config.membersOnly = flag('muc#roomconfig_membersonly') ?? config.membersOnly;
  config.passwordProtected = flag('muc#roomconfig_passwordprotectedroom') ?? config.passwordProtected;
  config.password = text('muc#roomconfig_roomsecret', 256) ?? config.password;
  config.whois = choice('muc#roomconfig_whois', ['moderators', 'anyone'] as const) ?? config.whois;
  const history = count('muc#maxhistoryfetch', limits.maxHistory);
  if (history !== undefined) config.historyLength = history;
  config.pubsub = text('muc#roomconfig_pubsub', 1024) ?? config.pubsub;
  // §10.2: a password-protected room needs a password
  if (config.passwordProtected && config.password === '') throw new StanzaError('not-acceptable', 'a password-protected room needs muc#roomconfig_roomsecret');
  if (!config.passwordProtected) config.password = '';
  const jids = (name: string) => form.get(name)?.filter((value) => value.trim() !== '').map((value) => parseJid(value.trim()));
  const owners = jids('muc#roomconfig_roomowners');
  const admins = jids('muc#roomconfig_roomadmins');
  if (owners !== undefined && owners.length === 0) throw new StanzaError('not-acceptable', 'a room needs an owner');
  return { config, owners, admins };
}
