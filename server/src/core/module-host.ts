// Loads feature modules: dependencies first, options parsed from the configuration, and one
// ModuleContext per module that reaches the hub, the registries and the router — nothing else.
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { KeyValueStore } from '../storage/index.ts';
import type { LocalCaches } from './cache.ts';
import type { DiscoRegistry } from './disco.ts';
import type { IqHandlers } from './iq-handlers.ts';
import type { AnyModuleDefinition, ModuleContext, ModuleServices, Routing } from './module-api.ts';
import type { ServerHub } from './server-events.ts';
import type { SessionTableView } from './session-table.ts';
import type { SessionMoves } from './session-moves.ts';
import type { SessionHandle } from './origin.ts';
import type { StreamExtensions } from './stream-extensions.ts';
import type { ComponentHosts } from './hosts.ts';
import type { ModuleHttp } from './module-api.ts';
import type { MetricsRegistration } from '../metrics/feature-metrics.ts';

export interface ModuleHostServices {
  readonly config: Config;
  readonly log: Logger;
  readonly hub: ServerHub;
  readonly iq: IqHandlers;
  readonly disco: DiscoRegistry;
  /** What modules add to client streams, from before authentication to a bound stream (SASL2 and Bind 2 inline features too). */
  readonly streams: StreamExtensions;
  readonly router: Routing;
  /** The served names (router/host-table.ts), where modules also serve their components. */
  readonly hosts: ComponentHosts;
  readonly sessions: SessionTableView;
  readonly localSession: (sessionId: string) => SessionHandle | undefined;
  /** In a cluster: sessions moving between nodes (core/session-moves.ts). */
  readonly sessionMoves?: SessionMoves | null;
  readonly services: ModuleServices;
  /** Opens a named key-value store in the state storage. */
  readonly stores: <V>(name: string) => KeyValueStore<V>;
  readonly caches: LocalCaches;
  readonly http: ModuleHttp;
  readonly metrics: MetricsRegistration;
}

export class ModuleHost {
  private readonly loaded = new Set<string>();

  constructor(private readonly host: ModuleHostServices) {}

  /** Names of the loaded modules, in load order. */
  get names(): string[] {
    return [...this.loaded];
  }

  /** Load in list order, each module's dependencies before it. */
  async load(definitions: readonly AnyModuleDefinition[]): Promise<void> {
    const byName = new Map(definitions.map((definition) => [definition.name, definition]));
    const loading = new Set<string>();
    const visit = async (definition: AnyModuleDefinition): Promise<void> => {
      if (this.loaded.has(definition.name)) return;
      if (loading.has(definition.name)) throw new Error(`module ${definition.name}: circular dependency`);
      loading.add(definition.name);
      for (const name of definition.dependencies ?? []) {
        const dependency = byName.get(name);
        if (!dependency && !this.loaded.has(name)) throw new Error(`module ${definition.name} needs module ${name}, which is not loaded`);
        if (dependency) await visit(dependency);
      }
      await definition.register(this.contextFor(definition));
      loading.delete(definition.name);
      this.loaded.add(definition.name);
    };
    for (const definition of definitions) await visit(definition);
  }

  private contextFor(definition: AnyModuleDefinition): ModuleContext<unknown> {
    const { host } = this;
    const name = definition.name;
    const options = definition.options ? readModuleOptions(definition, host.config) : undefined;
    const { hub, disco } = host;
    return {
      name,
      log: host.log.child({ module: name }),
      options,
      sessions: host.sessions,
      localSession: host.localSession,
      sessionMoves: host.sessionMoves ?? null,
      services: host.services,
      router: host.router,
      hook: (event, handler, priority) => hub.hook(event, handler, priority),
      on: (event, handler, priority) => hub.on(event, handler, priority),
      emit: (event, payload) => hub.emit(event, payload),
      iq: (target, type, payload, handler) => host.iq.register(target, type, payload, handler, name),
      features: {
        server: (namespace) => disco.addServerFeature(namespace),
        account: (namespace) => disco.addAccountFeature(namespace),
        identity: (identity) => disco.addIdentity(identity),
        accountIdentity: (identity) => disco.addAccountIdentity(identity),
        provider: (entity, provider) => disco.addProvider(entity, provider),
        serverFeatures: () => disco.serverFeatures(),
        accountFeatures: () => disco.accountFeatures(),
        identities: () => disco.serverIdentities(),
        accountIdentities: () => disco.accountIdentities(),
        hasProviders: (entity) => disco.hasProviders(entity),
        items: (entity, request) => disco.items(entity, request),
        nodeInfo: (entity, request) => disco.nodeInfo(entity, request),
      },
      hosts: host.hosts,
      http: host.http,
      streamFeature: (build, phase) => host.streams.addFeature(build, phase),
      unauthenticatedIq: (xmlns, handler) => host.streams.addUnauthenticatedIq(xmlns, handler, name),
      sasl2Inline: (feature) => host.streams.addSasl2Inline(feature, name),
      bind2Inline: (feature) => host.streams.addBind2Inline(feature, name),
      negotiationNonza: (xmlns, element, handler) => host.streams.addNegotiationNonza(xmlns, element, handler, name),
      nonza: (xmlns, element, handler) => host.streams.addNonza(xmlns, element, handler, name),
      store: <V>(store: string) => host.stores<V>(`${name}.${store}`),
      cache: (cache) => host.caches.open(`${name}.${cache}`),
      metrics: host.metrics,
    };
  }
}

/** A module's options from the configuration, checked by its schema; throws with every bad value named (start, `parley check`). */
export function readModuleOptions(definition: AnyModuleDefinition, config: Config): unknown {
  const input = definition.configuredOptions ? definition.configuredOptions(config) : config.modules[definition.name];
  const parsed = definition.options!.safeParse(input ?? {});
  if (!parsed.success) {
    const text = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`).join('; ');
    throw new Error(`module ${definition.name}: invalid options: ${text}`);
  }
  return parsed.data;
}
