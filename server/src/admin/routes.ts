// The admin API's resources: method + path → admin service call. JSON in, JSON out.
// Paths are relative to /admin/api; ':name' segments are URL-decoded parameters.
import type { z } from 'zod';
import type { AdminService } from './service.ts';
import type { AdminSessions } from './sessions.ts';
import type { AdminCertificates } from './certificates.ts';
import type { AdminDns } from './dns-status.ts';
import type { AdminArchive } from './archive-status.ts';
import type { Figures } from './figures.ts';
import type { ComponentConnection } from '../components/external.ts';
import {
  addressCardSchema, aliasSchema, certificateUploadSchema, componentCreateSchema, reindexSchema, domainCreateSchema, emailSchema, federationSettingsSchema, groupCreateSchema, groupRoomSchema, imSettingsSchema, memberSchema,
  photoSchema, roleGrantSchema, subjectSchema, userCreateSchema, userUpdateSchema,
} from './schemas.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An answer with a status other than 200 OK (a plain value is sent as 200 OK). */
export class Reply {
  constructor(readonly status: '201 Created' | '200 OK', readonly body: unknown) {}
}

export interface Route {
  method: Method;
  path: string[];
  handle(params: Record<string, string>, body: unknown): Promise<unknown>;
}

/** Parse with zod; the admin API turns a ZodError into 400 Bad Request. */
function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  return schema.parse(body);
}

/** What the running server adds to the directory's operations (the admin console's screens). */
export interface AdminRuntime {
  readonly sessions: AdminSessions;
  readonly certificates: AdminCertificates;
  readonly dns: AdminDns;
  readonly archive: AdminArchive;
  figures(): Promise<Figures>;
  /** The room a group has (components/muc/group-rooms.ts), or null. */
  groupRoom(group: string): Promise<string | null>;
  /** External components connected to this node. */
  componentConnections(): ComponentConnection[];
}

export function adminRoutes(admin: AdminService, runtime?: AdminRuntime): Route[] {
  const route = (method: Method, path: string, handle: Route['handle']): Route => ({ method, path: path.split('/').filter(Boolean), handle });
  return [
    ...(runtime ? runtimeRoutes(admin, runtime, route) : []),
    // ---- domains ----
    route('GET', 'domains', () => admin.listDomains()),
    route('POST', 'domains', async (_, body) => {
      const request = parse(domainCreateSchema, body);
      const added = await admin.addDomain(request.name, { aliases: request.aliases, im: request.im });
      return new Reply(added ? '201 Created' : '200 OK', await admin.getDomain(request.name));
    }),
    route('GET', 'domains/:domain', ({ domain }) => admin.getDomain(domain!)),
    route('DELETE', 'domains/:domain', async ({ domain }) => {
      await admin.removeDomain(domain!);
      return { removed: domain };
    }),
    route('POST', 'domains/:domain/aliases', async ({ domain }, body) => {
      await admin.addAlias(domain!, parse(aliasSchema, body).alias);
      return admin.getDomain(domain!);
    }),
    route('DELETE', 'domains/:domain/aliases/:alias', async ({ domain, alias }) => {
      await admin.removeAlias(domain!, alias!);
      return admin.getDomain(domain!);
    }),
    route('PATCH', 'domains/:domain/im', ({ domain }, body) => admin.setDomainIm(domain!, parse(imSettingsSchema, body))),
    route('PATCH', 'domains/:domain/federation', ({ domain }, body) => admin.setDomainFederation(domain!, parse(federationSettingsSchema, body))),
    route('POST', 'domains/:domain/im/allowed', ({ domain }, body) => admin.setDomainImAllowed(domain!, parse(subjectSchema, body), true)),
    route('DELETE', 'domains/:domain/im/allowed/users/:jid', ({ domain, jid }) => admin.setDomainImAllowed(domain!, { user: jid! }, false)),
    route('DELETE', 'domains/:domain/im/allowed/groups/:group', ({ domain, group }) => admin.setDomainImAllowed(domain!, { group: group! }, false)),
    route('GET', 'domains/:domain/users', ({ domain }) => admin.listUsers(domain!)),

    // ---- users ----
    route('POST', 'users', async (_, body) => {
      const request = parse(userCreateSchema, body);
      const jid = await admin.addUser(request.jid, request);
      if (request.card) await admin.setCard(jid, request.card);
      if (request.photo) await admin.setPhoto(jid, { type: request.photo.type, data: Buffer.from(request.photo.data, 'base64') });
      return new Reply('201 Created', await admin.getUser(jid));
    }),
    route('GET', 'users/:jid', ({ jid }) => admin.getUser(jid!)),
    route('PATCH', 'users/:jid', ({ jid }, body) => admin.updateUser(jid!, parse(userUpdateSchema, body))),
    route('DELETE', 'users/:jid', async ({ jid }) => {
      await admin.deleteUser(jid!);
      return { deleted: jid };
    }),
    route('GET', 'users/:jid/tokens', ({ jid }) => admin.listTokens(jid!)),
    route('DELETE', 'users/:jid/tokens', async ({ jid }) => ({ revoked: await admin.revokeTokens(jid!) })),
    route('DELETE', 'users/:jid/tokens/:client', async ({ jid, client }) => ({ revoked: await admin.revokeTokens(jid!, client!) })),
    route('POST', 'users/:jid/emails', ({ jid }, body) => admin.addEmail(jid!, parse(emailSchema, body).address)),
    route('DELETE', 'users/:jid/emails/:address', ({ jid, address }) => admin.removeEmail(jid!, address!)),
    route('GET', 'users/:jid/card', ({ jid }) => admin.getCard(jid!)),
    route('PUT', 'users/:jid/card', async ({ jid }, body) => {
      await admin.setCard(jid!, parse(addressCardSchema, body));
      return admin.getCard(jid!);
    }),
    route('PUT', 'users/:jid/photo', async ({ jid }, body) => {
      const photo = parse(photoSchema, body);
      return { hash: await admin.setPhoto(jid!, { type: photo.type, data: Buffer.from(photo.data, 'base64') }) };
    }),
    route('DELETE', 'users/:jid/photo', async ({ jid }) => ({ hash: await admin.setPhoto(jid!, null) })),

    // ---- groups and roles ----
    route('GET', 'groups', () => admin.listGroups()),
    route('POST', 'groups', async (_, body) => {
      const request = parse(groupCreateSchema, body);
      const created = await admin.createGroup(request.name, request.description ?? null);
      return new Reply(created ? '201 Created' : '200 OK', await admin.getGroup(request.name));
    }),
    route('GET', 'groups/:group', ({ group }) => admin.getGroup(group!)),
    route('DELETE', 'groups/:group', async ({ group }) => {
      await admin.deleteGroup(group!);
      return { deleted: group };
    }),
    route('POST', 'groups/:group/members', ({ group }, body) => admin.addMember(group!, parse(memberSchema, body).jid)),
    route('DELETE', 'groups/:group/members/:jid', ({ group, jid }) => admin.removeMember(group!, jid!)),
    // issue 13: the group's room (its members become the room's members)
    route('PUT', 'groups/:group/room', ({ group }, body) => admin.setGroupRoom(group!, parse(groupRoomSchema, body).room)),
    route('DELETE', 'groups/:group/room', ({ group }) => admin.setGroupRoom(group!, null)),
    route('POST', 'roles/grant', async (_, body) => {
      const { role, ...subject } = parse(roleGrantSchema, body);
      return { granted: await admin.grantRole(role, subject as z.infer<typeof subjectSchema>) };
    }),
    // ---- external components (XEP-0114) ----
    // where each is connected (any node), with the traffic of those connected to this node
    route('GET', 'components', async () => {
      const here = runtime?.componentConnections() ?? [];
      return (await admin.components.list()).map(({ connection, ...component }) => {
        const live = here.find((stream) => stream.domain === component.domain);
        return {
          ...component,
          connection: live ? { node: live.node, connectedSince: live.connectedSince, address: live.address, stanzasIn: live.stanzasIn, stanzasOut: live.stanzasOut }
            : connection && { ...connection, stanzasIn: null, stanzasOut: null },
        };
      });
    }),
    route('POST', 'components', async (_, body) => {
      const request = parse(componentCreateSchema, body);
      return new Reply('201 Created', await admin.components.add(request.domain, request.secret));
    }),
    route('DELETE', 'components/:domain', async ({ domain }) => {
      await admin.components.remove(domain!);
      return { removed: domain };
    }),
    route('POST', 'roles/revoke', async (_, body) => {
      const { role, ...subject } = parse(roleGrantSchema, body);
      return { revoked: await admin.revokeRole(role, subject as z.infer<typeof subjectSchema>) };
    }),
  ];
}

/** The admin console's resources that need the running server: sessions, certificates, DNS, archive, figures. */
function runtimeRoutes(admin: AdminService, runtime: AdminRuntime, route: (method: Method, path: string, handle: Route['handle']) => Route): Route[] {
  const account = async (jid: string) => (await admin.getUser(jid)).jid;
  return [
    route('GET', 'users/:jid/sessions', async ({ jid }) => runtime.sessions.list(await account(jid!))),
    route('DELETE', 'users/:jid/sessions', async ({ jid }) => runtime.sessions.kick(await account(jid!))),
    route('DELETE', 'users/:jid/sessions/:resource', async ({ jid, resource }) => runtime.sessions.kick(await account(jid!), resource!)),
    route('GET', 'domains/:domain/certificate', async ({ domain }) => runtime.certificates.status(domain!)),
    route('PUT', 'domains/:domain/certificate', async ({ domain }, body) => {
      const upload = parse(certificateUploadSchema, body);
      return runtime.certificates.replace(domain!, upload.certificate, upload.key);
    }),
    route('GET', 'domains/:domain/dns', async ({ domain }) => runtime.dns.check((await admin.getDomain(domain!)).name)),
    route('GET', 'groups/:group/room', async ({ group }) => {
      await admin.getGroup(group!);
      return { group, room: await runtime.groupRoom(group!) };
    }),
    route('GET', 'archive', () => runtime.archive.status()),
    route('GET', 'archive/reindex', async () => (await runtime.archive.job()) ?? { state: 'never' }),
    route('POST', 'archive/reindex', async (_, body) => new Reply('201 Created', await runtime.archive.startReindex(parse(reindexSchema, body ?? {})))),
    route('GET', 'figures', () => runtime.figures()),
  ];
}

/** The route for a method and a path below /admin/api, with its parameters. */
export function matchRoute(routes: Route[], method: string, segments: string[]): { route: Route; params: Record<string, string> } | null {
  for (const route of routes) {
    if (route.method !== method || route.path.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matches = true;
    for (let i = 0; i < segments.length && matches; i++) {
      const pattern = route.path[i]!;
      if (pattern.startsWith(':')) params[pattern.slice(1)] = segments[i]!;
      else matches = pattern === segments[i];
    }
    if (matches) return { route, params };
  }
  return null;
}
