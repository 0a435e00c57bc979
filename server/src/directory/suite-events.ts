// Suite events: what changes in the directory and must reach a running server at once (a new domain
// is served, a removed one closes its sessions, a revoked role ends a login…). The embedded admin
// service raises them (admin/service.ts) through a publisher: the in-process bus, or the CLI's event
// log (suite-bus/event-bus.ts); the NATS adapter (suite-bus/nats.ts) turns the suite's messages into
// the same changes. Payloads are checked with zod where they come from outside.
import { z } from 'zod';

const address = z.string().min(3).max(3071);
const domain = z.string().min(1).max(1023);
const role = z.string().min(1).max(64);
const groupName = z.string().min(1).max(256);

/** Events that only say what changed; listeners re-read the directory. */
export const suiteEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('domain.created'), domain }),
  z.object({ type: z.literal('domain.removed'), domain }),
  z.object({ type: z.literal('domain.aliases'), domain }),
  z.object({ type: z.literal('domain.im'), domain }),
  /** The domain's federation settings changed (s2s/domain-policy.ts re-reads them, open links follow). */
  z.object({ type: z.literal('domain.federation'), domain }),
  z.object({ type: z.literal('user.created'), jid: address }),
  z.object({ type: z.literal('user.updated'), jid: address }),
  z.object({ type: z.literal('user.deleted'), jid: address }),
  z.object({ type: z.literal('user.card'), jid: address }),
  z.object({ type: z.literal('user.photo'), jid: address }),
  z.object({ type: z.literal('group.changed'), group: groupName, members: z.array(address) }),
  /** The group's room (issue 13): its members are the room's members; null: the group has no room any more. */
  z.object({ type: z.literal('group.room'), group: groupName, room: address.nullable() }),
  z.object({ type: z.literal('role.changed'), role, user: address.optional(), group: groupName.optional() }),
  /** An external component (XEP-0114) was added or removed at run time (admin/components.ts). */
  z.object({ type: z.literal('component.changed'), domain }),
  /** An admin ends a session (a full JID) or all of an account's (a bare JID), on whichever node holds it. */
  z.object({ type: z.literal('session.kick'), jid: address, reason: z.string().max(1024) }),
]);

export type SuiteEvent = z.infer<typeof suiteEventSchema>;
export type SuiteEventType = SuiteEvent['type'];
export type SuiteEventOf<T extends SuiteEventType> = Extract<SuiteEvent, { type: T }>;

/** Where the admin service announces what it changed. */
export interface SuiteEventPublisher {
  publish(event: SuiteEvent): Promise<void>;
}
