// What a running server does when the directory changes (suite events from the admin API, the CLI's
// event log or the suite's bus): serve new domains and aliases, end the sessions of a removed one,
// end the sessions of users who may no longer use IM, and announce a new directory photo.
import { StreamError } from '@parley/shared';
import type { ServerContext } from '../context.ts';
import { refreshAvatarHash } from '../modules/avatar.ts';
import { rebroadcast } from '../modules/presence.ts';
import { checkImAccess } from './access.ts';
import { IM_ROLE } from './types.ts';

export function startLiveSync(ctx: ServerContext): void {
  const { suiteEvents: events, hosts } = ctx;

  // RFC 6120 §4.9.3.5 host-gone: the stream's domain "is no longer serviced by the receiving entity".
  hosts.onChange((domain, added) => {
    if (!added) endDomainSessions(ctx, domain);
  });
  // Certificates for new names come from the hosts listener in server.ts (hosts.onChange).
  for (const type of ['domain.created', 'domain.removed', 'domain.aliases'] as const) events.on(type, () => hosts.refresh());

  events.on('domain.im', (event) => recheckDomain(ctx, event.domain));
  events.on('user.updated', (event) => recheckUser(ctx, event.jid));
  events.on('user.deleted', (event) => recheckUser(ctx, event.jid));
  events.on('group.changed', async (event) => {
    for (const jid of event.members) await recheckUser(ctx, jid);
  });
  events.on('role.changed', async (event) => {
    if (event.role !== IM_ROLE) return;
    if (event.user) await recheckUser(ctx, event.user);
    if (event.group) for (const jid of (await ctx.directory.groups.get(event.group))?.members ?? []) await recheckUser(ctx, jid);
  });
  events.on('user.photo', (event) => announcePhoto(ctx, event.jid));
}

function endDomainSessions(ctx: ServerContext, domain: string): void {
  for (const session of ctx.sessions.allOpen()) {
    if (session.domain === domain || session.jid?.domain === domain) {
      session.streamError(new StreamError('host-gone', `${domain} is no longer served here`));
    }
  }
}

/**
 * End the user's live sessions when they may no longer use IM. RFC 6120 §4.9.3.12 not-authorized:
 * the entity is no longer authorized for the stream it negotiated (as Prosody does for a deleted or
 * disabled account); the <text/> says why, in the same words a new login would get.
 */
async function recheckUser(ctx: ServerContext, jid: string): Promise<void> {
  if (!ctx.sessions.hasSessions(jid)) return;
  const decision = await checkImAccess(ctx.directory, jid);
  if (decision.allowed) return;
  ctx.log.info({ jid, reason: decision.reason }, 'ending sessions: IM access withdrawn');
  for (const session of [...ctx.sessions.resources(jid)]) session.streamError(new StreamError('not-authorized', decision.reason));
}

async function recheckDomain(ctx: ServerContext, domain: string): Promise<void> {
  const users = new Set<string>();
  for (const session of ctx.sessions.all()) if (session.jid?.domain === domain) users.add(session.jid.bare);
  for (const jid of users) await recheckUser(ctx, jid);
}

/** XEP-0153 §4.2: a new photo reaches online contacts through a fresh presence broadcast. */
async function announcePhoto(ctx: ServerContext, jid: string): Promise<void> {
  await refreshAvatarHash(ctx, jid);
  for (const session of [...ctx.sessions.resources(jid)]) {
    const done = rebroadcast(ctx, session);
    if (done !== true) await done;
  }
}
