// XEP-0045 Multi-User Chat: one service per account domain (conference.<domain> by default,
// options.serviceName), a component on the router's host table, announced in the domain's
// disco#items; domains served later get theirs, removed ones lose it. Rooms: service.ts, room*.ts.
import { defineModule } from '../../core/module-api.ts';
import { KeyValueRoomStore } from './kv-store.ts';
import { mucOptions } from './options.ts';
import { MucService } from './service.ts';
import { GroupRooms } from './group-rooms.ts';
import { detach } from '../../core/events.ts';

export const mucModule = defineModule({
  name: 'muc',
  implements: [
    { spec: 'XEP-0045', version: '1.35.1', status: 'complete', note: 'rooms on conference.<domain>: every muc#roomconfig field, history, roles and affiliations, registration, invitations, voice requests, destroy, room directory; persistent rooms and affiliations survive restarts' },
    { spec: 'XEP-0313', version: '1.1.1', status: 'complete', note: 'room archives (a message archived once per room), RSM, XEP-0431 full-text search' },
    { spec: 'XEP-0359', version: '0.7.0', status: 'complete', note: 'stanza-id by the room on every room message' },
    { spec: 'XEP-0421', version: '0.2.0', status: 'complete', note: 'occupant ids in room presence and messages' },
    { spec: 'XEP-0410', version: '1.1.0', status: 'complete', note: 'self-ping answered by the room' },
    { spec: 'XEP-0425', version: '0.3.0', status: 'complete', note: "moderators retract room messages; the room's archive keeps the retraction and a tombstone saying who moderated" },
    { spec: 'XEP-0424', version: '0.4.2', status: 'complete', note: "an occupant's retraction of their own message (by the room's stanza-id, checked by occupant id): out of the history, a tombstone in the room's archive" },
    { spec: 'XEP-0486', version: '0.1.0', status: 'complete', note: "room vCards set by owners, the avatar hash in muc#roominfo and in the room's presence" },
    { spec: 'XEP-0249', version: '1.2', status: 'complete', note: 'direct invitations pass between users as they are sent' },
  ],
  options: mucOptions,
  register(ctx) {
    const options = ctx.options;
    // rooms and affiliations in the state storage (kv-store.ts): a restart, or another node, finds them
    const store = new KeyValueRoomStore(ctx.services.storage);
    const services = new Map<string, MucService>();
    const serviceName = (domain: string) => options.serviceName.replace('{domain}', domain);
    const isLocalUser = (bare: string) => ctx.hosts.accountDomains().includes(bare.slice(bare.indexOf('@') + 1));
    const serve = (domain: string) => {
      const name = serviceName(domain);
      if (services.has(domain) || ctx.hosts.has(name)) return;
      const service = new MucService({
        name, domain, router: ctx.router, log: ctx.log.child({ service: name }), options, store,
        archive: ctx.services.archive, isLocalUser,
      });
      ctx.hosts.addComponent(service);
      services.set(domain, service);
    };
    for (const domain of ctx.hosts.accountDomains()) serve(domain);
    ctx.on('host-added', ({ name, kind }) => {
      if (kind === 'account' && ctx.hosts.accountDomains().includes(name)) serve(name);
    });
    ctx.on('host-removed', ({ name, kind }) => {
      const service = kind === 'account' ? services.get(name) : undefined;
      if (!service) return;
      service.shutdown();
      services.delete(name);
      ctx.hosts.removeComponent(service);
    });
    // a session lost with its node of the cluster leaves the rooms held here (each node for its own rooms)
    ctx.on('session-lost', ({ entry }) => {
      for (const service of services.values()) service.sessionGone(entry.jid);
    });
    // rooms for the suite's groups: their members follow the directory (group-rooms.ts)
    const byName = (name: string) => [...services.values()].find((service) => service.name === name);
    const groups = new GroupRooms(store, ctx.services.directory, byName, ctx.log,
      (jid, bookmark) => detach(ctx.emit('bookmark-offered', { jid, bookmark }), (err) => ctx.log.warn({ err, jid }, 'muc: offering a bookmark failed')));
    ctx.services.suiteEvents.on('group.room', (event) => groups.assign(event.group, event.room));
    ctx.services.suiteEvents.on('group.changed', (event) => groups.changed(event.group));
    // /metrics: live rooms and their occupants on this node, per service (read when scraped)
    const figures = (pick: 'rooms' | 'occupants') => () => [...services.values()].map((service) => ({ labels: { service: service.name }, value: service.liveFigures()[pick] }));
    ctx.metrics.gauge('parley_muc_rooms', 'MUC rooms with occupants on this node, by service.', ['service'], figures('rooms'));
    ctx.metrics.gauge('parley_muc_occupants', 'Occupants of the MUC rooms on this node, by service.', ['service'], figures('occupants'));
    // XEP-0045 §6.1: the domain lists its chat service
    ctx.features.provider('domain', {
      items: ({ entity }) => {
        const service = services.get(entity.domain);
        return service ? [{ jid: service.name, name: 'Chatrooms' }] : [];
      },
    });
  },
});
