// XEP-0060 Publish-Subscribe as a service: one pubsub.<domain> per account domain (options.serviceName),
// a component on the router's host table, announced in the domain's disco#items (§5.1 finds it there);
// domains served later get theirs, removed ones lose it (their nodes stay in the store). It runs on
// the engine PEP runs on (pubsub/); the component itself is component.ts.
import { JID } from '@parley/shared';
import { defineModule } from '../../core/module-api.ts';
import { ADMIN_ROLE } from '../../directory/types.ts';
import { PubSubComponent } from './component.ts';
import { pubsubServiceOptions } from './options.ts';

export const pubsubServiceModule = defineModule({
  name: 'pubsub',
  implements: [
    {
      spec: 'XEP-0060', version: '1.26.0', status: 'partial',
      note: 'pubsub.<domain> services: leaf nodes (no collections), open, authorize and whitelist access, instant nodes, create-and-configure, '
        + 'pending subscriptions approved by owners (§8.6 forms; no get-pending command), subscription options (pubsub#deliver), '
        + 'affiliations and subscriptions managed by owners, notifications to bare and full JIDs here and on other servers',
    },
  ],
  options: pubsubServiceOptions,
  configuredOptions: (config) => ({ maxPayloadBytes: config.limits.maxStanzaSize, ...config.modules.pubsub as object }),
  register(ctx) {
    const options = ctx.options;
    if (!options.enabled) return;
    const admins = new Set(options.admins.map((jid) => jid.toLowerCase()));
    const services = new Map<string, PubSubComponent>();
    const serviceName = (domain: string) => options.serviceName.replace('{domain}', domain);
    const isUserOf = (jid: JID, domain: string) => jid.local !== '' && ctx.hosts.canonical(jid.domain) === domain;
    const serve = (domain: string) => {
      const name = serviceName(domain);
      if (services.has(domain)) return;
      if (ctx.hosts.has(name)) return void ctx.log.warn({ name }, 'pubsub: the name is served already; no pubsub service for this domain');
      const component = new PubSubComponent({
        name, domain, router: ctx.router, store: ctx.services.pubsub, log: ctx.log.child({ service: name }),
        limits: { maxItems: options.maxItems, maxNodes: options.maxNodes, maxPayloadBytes: options.maxPayloadBytes },
        defaultMaxItems: Math.min(options.defaultMaxItems, options.maxItems),
        // a domain's admins: those configured, and the directory's im-admin role holders among its users
        isAdmin: async (jid) => isUserOf(jid, domain)
          && (admins.has(`${jid.local}@${domain}`) || await ctx.services.directory.groups.holdsRole(`${jid.local}@${domain}`, ADMIN_ROLE)),
        mayCreate: (jid) => options.nodeCreation === 'local-users' && isUserOf(jid, domain),
      });
      ctx.hosts.addComponent(component);
      services.set(domain, component);
    };
    for (const domain of ctx.hosts.accountDomains()) serve(domain);
    ctx.on('host-added', ({ name, kind }) => {
      if (kind === 'account' && ctx.hosts.canonical(name) === name) serve(name);
    });
    ctx.on('host-removed', ({ name, kind }) => {
      const component = kind === 'account' ? services.get(name) : undefined;
      if (!component) return;
      services.delete(name);
      ctx.hosts.removeComponent(component);
    });
    // XEP-0060 §5.1: the domain lists its pubsub service
    ctx.features.provider('domain', {
      items: ({ entity }) => {
        const service = services.get(entity.domain);
        return service ? [{ jid: service.name, name: 'Publish-Subscribe' }] : [];
      },
    });
  },
});
