// XEP-0050 Ad-Hoc Commands on the server's domains, carrying XEP-0133 service administration
// (admin-commands.ts). A command is listed (disco#items on the commands node, §2.2) and run only by
// those it allows; each takes one form: execute → the form (status executing), then the submitted
// form with execute, next or complete → completed with a note (§3.4), or cancel (§3.4.4).
// The command session (its id and node) lives on the requester's session (session.data), so any
// node holding that session can go on with it.
import { randomBytes } from 'node:crypto';
import { NS, StanzaError, buildForm, readForm, xml, type Element, type JID } from '@parley/shared';
import { z } from 'zod';
import { defineModule } from '../../core/module-api.ts';
import { SessionKey } from '../../core/session-data.ts';
import { adminCommands, isAdmin, type AdhocCommand, type CommandContext } from './admin-commands.ts';

const options = z.object({
  /** Bare JIDs of domain admins (each administers its own domain); the directory's 'im-admin' role names more. */
  admins: z.array(z.string().min(3)).default([]),
}).prefault({});

/** Open command sessions of one client session: sessionid → node (a few at a time). */
const COMMAND_SESSIONS = new SessionKey<Map<string, string>>('adhoc.sessions');
const MAX_OPEN_SESSIONS = 8;

export const adhocModule = defineModule({
  name: 'adhoc',
  implements: [
    { spec: 'XEP-0050', version: '1.3.0', status: 'complete', note: 'single-stage commands (one form each)' },
    { spec: 'XEP-0133', version: '1.3.1', status: 'partial', note: 'add, delete, disable, re-enable user; change password; end sessions; online users (list, number); announce' },
  ],
  options,
  register(ctx) {
    const admins = new Set(ctx.options.admins.map((jid) => jid.toLowerCase()));
    const commandContext: CommandContext = {
      admin: ctx.services.admin, directory: ctx.services.directory, hosts: ctx.hosts, sessions: ctx.sessions,
      router: ctx.router, emit: (event, payload) => ctx.emit(event, payload), log: ctx.log, configuredAdmins: admins,
    };
    const commands = new Map<string, AdhocCommand>(adminCommands.map((command) => [command.node, command]));
    /** The commands `from` may run on `to`'s domain. */
    const allowed = async (from: JID, to: JID): Promise<AdhocCommand[]> =>
      (await isAdmin(commandContext, from, to.domain)) ? [...commands.values()] : [];

    ctx.features.server(NS.commands);
    // §2.2: the command list is a disco node, listing the commands the requester may run
    ctx.features.provider('domain', {
      nodeItems: async ({ requester, entity, node }) => node !== NS.commands ? null
        : (await allowed(requester, entity)).map((command) => ({ jid: entity.domain, node: command.node, name: command.name })),
      nodeInfo: ({ node }) => {
        if (node === NS.commands) return { identities: [{ category: 'automation', type: 'command-list' }], features: [NS.commands] };
        // §2.3: each command node says it is one
        const command = commands.get(node);
        return command ? { identities: [{ category: 'automation', type: 'command-node', name: command.name }], features: [NS.commands, NS.dataForms] } : null;
      },
    });
    ctx.iq('host', 'set', { name: 'command', xmlns: NS.commands }, async ({ payload, from, to, origin }) => {
      if (origin.kind !== 'client') throw new StanzaError('forbidden', 'commands are for local users');
      const node = payload.attrs.node;
      const command = node ? commands.get(node) : undefined;
      if (!command) throw new StanzaError('item-not-found', 'no such command');
      if (!(await allowed(from, to)).includes(command)) throw new StanzaError('forbidden', 'you are not an administrator of this domain');
      const open = origin.data.get(COMMAND_SESSIONS) ?? new Map<string, string>();
      origin.data.set(COMMAND_SESSIONS, open);
      const action = payload.attrs.action ?? 'execute';
      const sessionId = payload.attrs.sessionid;
      const submitted = readForm(payload);

      if (sessionId === undefined) {
        if (action !== 'execute') throw badAction(`${action} needs a sessionid`);
        const id = newSessionId();
        // a client that sends the filled form at once (no session) is answered at once
        if (submitted?.type === 'submit') return complete(command, commandContext, from, to, submitted.values, id);
        if (open.size >= MAX_OPEN_SESSIONS) open.delete(open.keys().next().value!);
        open.set(id, command.node);
        return xml('command', { xmlns: NS.commands, node: command.node, sessionid: id, status: 'executing' },
          xml('actions', { execute: 'complete' }, xml('complete')),
          buildForm({ type: 'form', formType: NS.admin, title: command.name, instructions: command.instructions, fields: command.fields }));
      }
      if (open.get(sessionId) !== command.node) throw badSession();
      if (action === 'cancel') {
        open.delete(sessionId);
        return xml('command', { xmlns: NS.commands, node: command.node, sessionid: sessionId, status: 'canceled' });
      }
      if (action === 'prev') throw badAction('this command has one stage');
      if (action !== 'execute' && action !== 'next' && action !== 'complete') throw new StanzaError('bad-request', `unknown action ${action}`, undefined, () => xml('malformed-action', { xmlns: NS.commands }));
      if (submitted?.type !== 'submit') throw new StanzaError('bad-request', 'submit the form', undefined, () => xml('bad-payload', { xmlns: NS.commands }));
      open.delete(sessionId);
      return complete(command, commandContext, from, to, submitted.values, sessionId);
    });
  },
});

async function complete(command: AdhocCommand, context: CommandContext, from: JID, to: JID, values: Map<string, string[]>, sessionId: string): Promise<Element> {
  const outcome = await command.run(context, { from, domain: context.hosts.canonical(to.domain), values });
  return xml('command', { xmlns: NS.commands, node: command.node, sessionid: sessionId, status: 'completed' },
    outcome.note ? xml('note', { type: 'info' }, outcome.note) : null,
    outcome.form ? buildForm({ type: 'result', formType: NS.admin, fields: outcome.form }) : null);
}

function newSessionId(): string {
  return randomBytes(9).toString('base64url');
}

/** §4.6: the action is not allowed at this stage. */
function badAction(text: string): StanzaError {
  return new StanzaError('bad-request', text, undefined, () => xml('bad-action', { xmlns: NS.commands }));
}

/** §4.6: no such command session (expired, finished, or never opened on this session). */
function badSession(): StanzaError {
  return new StanzaError('bad-request', 'unknown or finished command session', undefined, () => xml('bad-sessionid', { xmlns: NS.commands }));
}
