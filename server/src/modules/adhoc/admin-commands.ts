// XEP-0133 service administration as XEP-0050 commands, for the admins of a domain (listed in the
// adhoc module's options, or holding the directory's 'im-admin' role), on their own domain only.
// Every change goes through the admin service (admin/service.ts): the same rules and suite events
// as the CLI and the admin API, so a disabled or deleted user's sessions end the same way.
import { JID, NS, StanzaError, tryParseJid, xml, type FormField } from '@parley/shared';
import type { Logger } from '../../logger.ts';
import type { AdminService } from '../../admin/service.ts';
import { AdminError } from '../../admin/errors.ts';
import type { Directory } from '../../directory/types.ts';
import { ADMIN_ROLE } from '../../directory/types.ts';
import type { HostView } from '../../core/hosts.ts';
import type { Routing } from '../../core/module-api.ts';
import { SERVER_ORIGIN } from '../../core/origin.ts';
import type { ServerNotifications } from '../../core/server-events.ts';
import type { SessionTableView } from '../../core/session-table.ts';
import type { Awaitable } from '../../core/events.ts';

export interface CommandContext {
  readonly admin: AdminService;
  readonly directory: Directory;
  readonly hosts: HostView;
  readonly sessions: SessionTableView;
  readonly router: Routing;
  emit<K extends keyof ServerNotifications & string>(event: K, payload: ServerNotifications[K]): Awaitable;
  readonly log: Logger;
  /** Bare JIDs from the configuration. */
  readonly configuredAdmins: ReadonlySet<string>;
}

export interface CommandRequest {
  /** The admin who runs it. */
  readonly from: JID;
  /** The canonical domain it runs on (the admin's). */
  readonly domain: string;
  /** The submitted form's values by field. */
  readonly values: Map<string, string[]>;
}

export interface CommandOutcome {
  note?: string;
  /** Fields of a result form (XEP-0004 type result). */
  form?: FormField[];
}

export interface AdhocCommand {
  readonly node: string;
  readonly name: string;
  readonly instructions?: string;
  readonly fields: readonly FormField[];
  run(context: CommandContext, request: CommandRequest): Promise<CommandOutcome>;
}

/** An admin of `domain`: a user of that domain, listed in the configuration or holding the admin role. */
export async function isAdmin(context: CommandContext, jid: JID, domain: string): Promise<boolean> {
  const own = context.hosts.canonical(jid.domain);
  if (!jid.local || own !== context.hosts.canonical(domain)) return false;
  const bare = `${jid.local}@${own}`;
  return context.configuredAdmins.has(bare) || (await context.directory.groups.holdsRole(bare, ADMIN_ROLE));
}

const node = (name: string) => `${NS.admin}#${name}`;

export const adminCommands: AdhocCommand[] = [
  {
    // §4.1
    node: node('add-user'), name: 'Add a user',
    fields: [
      { var: 'accountjid', type: 'jid-single', label: 'The Jabber ID for the account to be added', required: true },
      { var: 'password', type: 'text-private', label: 'The password for this account', required: true },
      { var: 'password-verify', type: 'text-private', label: 'Retype password' },
      { var: 'email', type: 'text-single', label: 'Email address' },
      { var: 'given_name', type: 'text-single', label: 'Given name' },
      { var: 'surname', type: 'text-single', label: 'Family name' },
    ],
    async run(context, request) {
      const jid = account(context, request, single(request, 'accountjid'));
      const password = single(request, 'password');
      const verify = request.values.get('password-verify')?.[0];
      if (verify !== undefined && verify !== password) throw new StanzaError('not-acceptable', 'the passwords do not match');
      const name = [request.values.get('given_name')?.[0], request.values.get('surname')?.[0]].filter(Boolean).join(' ');
      const email = request.values.get('email')?.[0];
      const added = await adminCall(() => context.admin.addUser(jid.bare, {
        password, displayName: name || null, emails: email && email !== jid.bare ? [email] : [],
      }));
      log(context, request, 'add-user', added);
      return { note: `${added} was added` };
    },
  },
  {
    // §4.2
    node: node('delete-user'), name: 'Delete users',
    fields: [{ var: 'accountjids', type: 'jid-multi', label: 'The Jabber ID(s) to delete', required: true }],
    async run(context, request) {
      const jids = accounts(context, request);
      for (const jid of jids) await adminCall(() => context.admin.deleteUser(jid.bare));
      log(context, request, 'delete-user', jids.map((jid) => jid.bare).join(' '));
      return { note: `deleted: ${jids.map((jid) => jid.bare).join(', ')}` };
    },
  },
  {
    // §4.3: the user may no longer log in; open sessions end (modules/suite-sync.ts)
    node: node('disable-user'), name: 'Disable users',
    fields: [{ var: 'accountjids', type: 'jid-multi', label: 'The Jabber ID(s) to disable', required: true }],
    async run(context, request) {
      const jids = accounts(context, request);
      for (const jid of jids) await adminCall(() => context.admin.updateUser(jid.bare, { enabled: false }));
      log(context, request, 'disable-user', jids.map((jid) => jid.bare).join(' '));
      return { note: `disabled: ${jids.map((jid) => jid.bare).join(', ')}` };
    },
  },
  {
    // §4.4
    node: node('reenable-user'), name: 'Re-enable users',
    fields: [{ var: 'accountjids', type: 'jid-multi', label: 'The Jabber ID(s) to re-enable', required: true }],
    async run(context, request) {
      const jids = accounts(context, request);
      for (const jid of jids) await adminCall(() => context.admin.updateUser(jid.bare, { enabled: true }));
      log(context, request, 'reenable-user', jids.map((jid) => jid.bare).join(' '));
      return { note: `re-enabled: ${jids.map((jid) => jid.bare).join(', ')}` };
    },
  },
  {
    // §4.5: a bare JID ends every session of the user, a full JID that one
    node: node('end-user-session'), name: 'End user sessions',
    fields: [{ var: 'accountjids', type: 'jid-multi', label: 'The Jabber ID(s) whose sessions end', required: true }],
    async run(context, request) {
      const jids = accounts(context, request, true);
      let ended = 0;
      for (const jid of jids) {
        ended += jid.isBare ? context.sessions.resources(jid.bare).length : context.sessions.get(jid.full) ? 1 : 0;
        await context.emit('sessions-end', { jid, condition: 'policy-violation', text: 'an administrator ended this session' });
      }
      log(context, request, 'end-user-session', jids.map((jid) => jid.full).join(' '));
      return { note: `${ended} session(s) ended` };
    },
  },
  {
    // §4.7
    node: node('change-user-password'), name: 'Change a user password',
    fields: [
      { var: 'accountjid', type: 'jid-single', label: 'The Jabber ID for this account', required: true },
      { var: 'password', type: 'text-private', label: 'The password for this account', required: true },
    ],
    async run(context, request) {
      const jid = account(context, request, single(request, 'accountjid'));
      await adminCall(() => context.admin.setPassword(jid.bare, single(request, 'password')));
      log(context, request, 'change-user-password', jid.bare);
      return { note: `the password of ${jid.bare} was changed` };
    },
  },
  {
    // §4.17
    node: node('get-online-users-num'), name: 'Get number of online users',
    fields: [],
    async run(context, request) {
      return { form: [{ var: 'onlineusersnum', type: 'text-single', label: 'The number of online users', values: [String(onlineUsers(context, request.domain).length)] }] };
    },
  },
  {
    // §4.21
    node: node('get-online-users-list'), name: 'Get list of online users',
    fields: [{ var: 'max_items', type: 'list-single', label: 'Maximum number of items to show', options: ['25', '50', '75', '100', '150', '200', 'none'].map((value) => ({ label: value, value })) }],
    async run(context, request) {
      const max = request.values.get('max_items')?.[0];
      const limit = max && max !== 'none' ? Number.parseInt(max, 10) : Number.POSITIVE_INFINITY;
      if (Number.isNaN(limit) || limit < 1) throw new StanzaError('bad-request', 'max_items must be a number or none');
      const users = onlineUsers(context, request.domain).slice(0, limit);
      return { form: [{ var: 'onlineuserjids', type: 'jid-multi', label: 'The list of all online users', values: users }] };
    },
  },
  {
    // §4.23: a headline from the domain to every online resource of its users
    node: node('announce'), name: 'Send announcement to online users',
    fields: [
      { var: 'subject', type: 'text-single', label: 'Subject' },
      { var: 'announcement', type: 'text-multi', label: 'Announcement', required: true },
    ],
    async run(context, request) {
      const body = (request.values.get('announcement') ?? []).join('\n');
      if (body.trim() === '') throw new StanzaError('not-acceptable', 'the announcement is empty');
      const subject = request.values.get('subject')?.[0];
      const server = new JID('', request.domain);
      let sent = 0;
      for (const entry of context.sessions.all()) {
        if (context.hosts.canonical(entry.jid.domain) !== request.domain) continue;
        const message = xml('message', { xmlns: NS.client, type: 'headline', from: request.domain, to: entry.jid.full },
          subject ? xml('subject', null, subject) : null, xml('body', null, body));
        await context.router.route(message, server, entry.jid, SERVER_ORIGIN);
        sent++;
      }
      log(context, request, 'announce', `${sent} resources`);
      return { note: `sent to ${sent} online resource(s)` };
    },
  },
];

/** Distinct bare JIDs with a session on the domain, sorted. */
function onlineUsers(context: CommandContext, domain: string): string[] {
  const users = new Set<string>();
  for (const entry of context.sessions.all()) if (context.hosts.canonical(entry.jid.domain) === domain) users.add(entry.jid.bare);
  return [...users].sort();
}

function single(request: CommandRequest, field: string): string {
  const value = request.values.get(field)?.[0];
  if (value === undefined || value === '') throw new StanzaError('not-acceptable', `the field ${field} is required`);
  return value;
}

/** A user JID of the admin's domain (or one of its aliases); a full JID only where `fullAllowed`. */
function account(context: CommandContext, request: CommandRequest, text: string, fullAllowed = false): JID {
  const jid = tryParseJid(text.trim());
  if (!jid || !jid.local || (!fullAllowed && !jid.isBare)) throw new StanzaError('jid-malformed', `${text} is not a user JID like alice@${request.domain}`);
  if (context.hosts.canonical(jid.domain) !== request.domain) throw new StanzaError('forbidden', `${jid.bare} is not a user of ${request.domain}`);
  return new JID(jid.local, request.domain, jid.resource);
}

function accounts(context: CommandContext, request: CommandRequest, fullAllowed = false): JID[] {
  const values = (request.values.get('accountjids') ?? []).filter((value) => value.trim() !== '');
  if (values.length === 0) throw new StanzaError('not-acceptable', 'the field accountjids is required');
  return values.map((value) => account(context, request, value, fullAllowed));
}

function log(context: CommandContext, request: CommandRequest, command: string, subject: string): void {
  context.log.info({ admin: request.from.bare, command, subject }, 'admin command (XEP-0133)');
}

/** The admin service's refusals as stanza errors. */
async function adminCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof AdminError)) throw error;
    if (error.kind === 'conflict') throw new StanzaError('conflict', error.message);
    if (error.kind === 'not-found') throw new StanzaError('item-not-found', error.message);
    throw new StanzaError('not-acceptable', error.message);
  }
}
