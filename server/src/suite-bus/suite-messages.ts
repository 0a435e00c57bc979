// The suite's messages on its bus (subject `<prefix>.<type>`, JSON payload) and how each one is
// applied to the directory through the admin service — which then raises the in-process suite event
// that the running server acts on (modules/suite-sync.ts). The suite owns users, groups and domains:
// a message states what is now true, so applying one twice does no harm.
import { z } from 'zod';
import type { AdminService } from '../admin/service.ts';
import { AdminError } from '../admin/errors.ts';
import {
  addressCardSchema, federationSettingsSchema, imSettingsSchema, photoSchema, subjectSchema, userCreateSchema,
} from '../admin/schemas.ts';

const domain = z.string().min(1).max(1023);
const jid = z.string().min(3).max(3071);
const group = z.string().min(1).max(256);
const role = z.string().min(1).max(64).default('im');

/** Each suite message type with its payload. */
export const suiteMessages = {
  'domain.created': z.object({ domain, aliases: z.array(domain).max(100).optional(), im: imSettingsSchema.optional() }),
  'domain.removed': z.object({ domain }),
  /** The domain's complete alias list (aliases not listed are removed). */
  'domain.aliases': z.object({ domain, aliases: z.array(domain).max(100) }),
  'domain.im': z.object({ domain }).and(imSettingsSchema),
  /** Federation for the domain ("connect to the internet"); lists given are complete. */
  'domain.federation': z.object({ domain }).and(federationSettingsSchema),
  // unknown top-level keys are ignored here (the suite may say more than Parley needs); the admin API is strict
  'user.created': z.object(userCreateSchema.omit({ password: true }).shape),
  'user.updated': z.object({ jid, displayName: z.string().max(1024).nullable().optional(), enabled: z.boolean().optional() }),
  'user.disabled': z.object({ jid }),
  'user.enabled': z.object({ jid }),
  'user.deleted': z.object({ jid }),
  'user.card': z.object({ jid, card: addressCardSchema }),
  'user.photo': z.object({ jid, photo: photoSchema.nullable() }),
  'group.created': z.object({ group, description: z.string().max(1024).nullable().optional() }),
  'group.deleted': z.object({ group }),
  'group.member.added': z.object({ group, jid }),
  'group.member.removed': z.object({ group, jid }),
  /** The group's room (room@service), or null for none (issue 13). */
  'group.room': z.object({ group, room: jid.nullable() }),
  'role.granted': z.object({ role }).and(subjectSchema),
  'role.revoked': z.object({ role }).and(subjectSchema),
} as const;

export type SuiteMessageType = keyof typeof suiteMessages;

export function isSuiteMessageType(type: string): type is SuiteMessageType {
  return Object.hasOwn(suiteMessages, type);
}

/** Apply one message; throws a ZodError for a bad payload, an AdminError for a bad change. */
export async function applySuiteMessage(admin: AdminService, type: SuiteMessageType, payload: unknown): Promise<void> {
  switch (type) {
    case 'domain.created': {
      const message = suiteMessages[type].parse(payload);
      await admin.addDomain(message.domain, { im: message.im });
      if (message.aliases) await setAliases(admin, message.domain, message.aliases);
      return;
    }
    case 'domain.removed': return ignoreMissing(admin.removeDomain(suiteMessages[type].parse(payload).domain));
    case 'domain.aliases': {
      const message = suiteMessages[type].parse(payload);
      return setAliases(admin, message.domain, message.aliases);
    }
    case 'domain.im': {
      const { domain: name, ...settings } = suiteMessages[type].parse(payload);
      await admin.setDomainIm(name, settings);
      return;
    }
    case 'domain.federation': {
      const { domain: name, ...settings } = suiteMessages[type].parse(payload);
      await admin.setDomainFederation(name, settings);
      return;
    }
    case 'user.created': {
      const message = suiteMessages[type].parse(payload);
      let account: string;
      try {
        account = await admin.addUser(message.jid, message);
      } catch (error) {
        if (!(error instanceof AdminError) || error.kind !== 'conflict') throw error;
        account = (await admin.updateUser(message.jid, { displayName: message.displayName, enabled: message.enabled })).jid;
      }
      if (message.card) await admin.setCard(account, message.card);
      if (message.photo) await admin.setPhoto(account, { type: message.photo.type, data: Buffer.from(message.photo.data, 'base64') });
      return;
    }
    case 'user.updated': {
      const { jid: account, ...change } = suiteMessages[type].parse(payload);
      await admin.updateUser(account, change);
      return;
    }
    case 'user.disabled': await admin.updateUser(suiteMessages[type].parse(payload).jid, { enabled: false }); return;
    case 'user.enabled': await admin.updateUser(suiteMessages[type].parse(payload).jid, { enabled: true }); return;
    case 'user.deleted': return ignoreMissing(admin.deleteUser(suiteMessages[type].parse(payload).jid));
    case 'user.card': {
      const message = suiteMessages[type].parse(payload);
      return admin.setCard(message.jid, message.card);
    }
    case 'user.photo': {
      const { jid: account, photo } = suiteMessages[type].parse(payload);
      await admin.setPhoto(account, photo ? { type: photo.type, data: Buffer.from(photo.data, 'base64') } : null);
      return;
    }
    case 'group.created': {
      const message = suiteMessages[type].parse(payload);
      await admin.createGroup(message.group, message.description ?? null);
      return;
    }
    case 'group.deleted': return ignoreMissing(admin.deleteGroup(suiteMessages[type].parse(payload).group));
    case 'group.member.added': {
      const message = suiteMessages[type].parse(payload);
      await admin.addMember(message.group, message.jid);
      return;
    }
    case 'group.member.removed': {
      const message = suiteMessages[type].parse(payload);
      await ignoreMissing(admin.removeMember(message.group, message.jid));
      return;
    }
    case 'group.room': {
      const message = suiteMessages[type].parse(payload);
      await admin.setGroupRoom(message.group, message.room);
      return;
    }
    case 'role.granted': {
      const { role: name, ...subject } = suiteMessages[type].parse(payload);
      await admin.grantRole(name, subject as z.infer<typeof subjectSchema>);
      return;
    }
    case 'role.revoked': {
      const { role: name, ...subject } = suiteMessages[type].parse(payload);
      await admin.revokeRole(name, subject as z.infer<typeof subjectSchema>);
      return;
    }
  }
}

async function setAliases(admin: AdminService, domainName: string, aliases: string[]): Promise<void> {
  const current = (await admin.getDomain(domainName)).aliases;
  const wanted = new Set(aliases.map((alias) => alias.toLowerCase()));
  for (const alias of current) if (!wanted.has(alias)) await admin.removeAlias(domainName, alias);
  for (const alias of wanted) if (!current.includes(alias)) await admin.addAlias(domainName, alias);
}

/** Removing what is already gone is what the suite wanted. */
async function ignoreMissing(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof AdminError) || error.kind !== 'not-found') throw error;
  }
}
