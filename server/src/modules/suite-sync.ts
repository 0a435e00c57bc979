// What a running server does when the suite's directory changes (suite events from the admin API,
// the CLI's event log or the suite's bus), told as hub events to whoever acts on them: users who
// may no longer use IM lose their sessions (im-access-withdrawn), a new directory photo is announced
// (avatar-changed). Served domains follow the directory through the host table (server.ts).
import { defineModule, type ModuleContext } from '../core/module-api.ts';
import { checkImAccess } from '../directory/access.ts';
import { IM_ROLE } from '../directory/types.ts';

export const suiteSyncModule = defineModule({
  name: 'suite-sync',
  implements: [],
  register(ctx) {
    const { suiteEvents: events, directory } = ctx.services;
    events.on('domain.im', (event) => recheckDomain(ctx, event.domain));
    events.on('user.updated', (event) => recheckUser(ctx, event.jid));
    events.on('user.deleted', async (event) => {
      await ctx.emit('user-deleted', { jid: event.jid });
      await recheckUser(ctx, event.jid);
    });
    events.on('group.changed', async (event) => {
      for (const jid of event.members) await recheckUser(ctx, jid);
    });
    events.on('role.changed', async (event) => {
      if (event.role !== IM_ROLE) return;
      if (event.user) await recheckUser(ctx, event.user);
      if (event.group) for (const jid of (await directory.groups.get(event.group))?.members ?? []) await recheckUser(ctx, jid);
    });
    // The admin console's kick button (admin/live.ts): each node ends the sessions it holds.
    events.on('session.kick', (event) => ctx.emit('session-kick', { jid: event.jid, reason: event.reason }));
    // XEP-0153 §4.2: the vcard module re-reads the hash and has presence rebroadcast.
    events.on('user.photo', (event) => ctx.emit('avatar-changed', { jid: event.jid }));
  },
});

/**
 * The user's live sessions end when they may no longer use IM (RFC 6120 §4.9.3.12 not-authorized:
 * no longer authorized for the stream it negotiated, as Prosody does for a deleted or disabled
 * account); the reason is the one a new login would get.
 */
async function recheckUser(ctx: ModuleContext<undefined>, jid: string): Promise<void> {
  if (!ctx.sessions.hasSessions(jid)) return;
  const decision = await checkImAccess(ctx.services.directory, jid);
  if (decision.allowed) return;
  ctx.log.info({ jid, reason: decision.reason }, 'ending sessions: IM access withdrawn');
  await ctx.emit('im-access-withdrawn', { jid, reason: decision.reason });
}

async function recheckDomain(ctx: ModuleContext<undefined>, domain: string): Promise<void> {
  const users = new Set<string>();
  for (const entry of ctx.sessions.all()) if (entry.jid.domain === domain) users.add(entry.jid.bare);
  for (const jid of users) await recheckUser(ctx, jid);
}
