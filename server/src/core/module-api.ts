// What a feature module is and what it is given (issue 10): a module declares what it implements,
// its typed options (defaults and floors, as ejabberd's mod_options) and its dependencies, and
// registers its handlers through its own ModuleContext — never the whole server.
import type { Element, JID, StanzaError } from '@parley/shared';
import type { ZodType } from 'zod';
import type uWS from 'uWebSockets.js';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Archive } from '../archive/index.ts';
import type { Directory } from '../directory/types.ts';
import type { KeyValueStore, Storage } from '../storage/index.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { PubSubStore } from '../pubsub/store.ts';
import type { SuiteEventBus } from '../suite-bus/event-bus.ts';
import type { Awaitable, NotificationHandler, PipelineHandler } from './events.ts';
import type { Origin, SessionHandle } from './origin.ts';
import type { ServerNotifications, ServerPipelines } from './server-events.ts';
import type { SessionEntry, SessionTableView } from './session-table.ts';
import type { SessionMoves } from './session-moves.ts';
import type { Cache } from './cache.ts';
import type { DiscoEntity, DiscoIdentity, DiscoInfo, DiscoItem, DiscoNodeRequest, DiscoProvider, DiscoRequest } from './disco.ts';
import type { Bind2InlineFeature, Sasl2InlineFeature } from './sign-in-extensions.ts';
import type { UnauthenticatedIqHandler } from './stream-extensions.ts';
import type { FeatureBuilder, FeaturePhase, NegotiationNonzaHandler, NonzaHandler } from './stream-info.ts';
import type { AccountAdministration } from './account-administration.ts';
import type { ComponentHosts } from './hosts.ts';
import type { MetricsRegistration } from '../metrics/feature-metrics.ts';

export interface Specification {
  /** 'RFC 6121', 'XEP-0199'… */
  spec: string;
  version?: string;
  status: 'complete' | 'partial';
  note?: string;
}

/** Who an iq is for: the server itself (to=domain) or an account (to=bare JID, or no 'to': the sender's own). */
export type IqTarget = 'host' | 'account';

/** The payload element an iq handler takes: its name and namespace. */
export interface IqPayload {
  readonly name: string;
  readonly xmlns: string;
}

export interface IqRequest {
  readonly iq: Element;
  /** The one payload element (RFC 6120 §8.2.3), whose name and namespace are the ones the handler registered. */
  readonly payload: Element;
  readonly from: JID;
  readonly to: JID;
  readonly origin: Origin;
}

/** Returns the result payload (or nothing for an empty result), or throws a StanzaError. */
export type IqHandler = (request: IqRequest) =>
  Element | null | undefined | void | Promise<Element | null | undefined | void>;

export type StanzaHook = PipelineHandler<ServerPipelines[keyof ServerPipelines]>;

// what modules see of client streams (stream-info.ts), named here for the modules that import module-api
export type { FeatureBuilder, FeaturePhase, NegotiatingStream, NegotiationNonzaHandler, NonzaHandler, StreamInfo } from './stream-info.ts';

/** How a module reaches the router (router/router.ts implements it). */
export interface Routing {
  /** Deliver a stanza addressed to `to`, local or not (RFC 6121 §8.5). */
  route(stanza: Element, from: JID, to: JID, origin?: Origin): Awaitable;
  /** Send an error reply to the stanza's sender (never for errors or iq results: RFC 6120 §8.3.1). */
  bounce(stanza: Element, error: StanzaError, origin: Origin): Awaitable;
  /** To every available resource of an account (serialized once); how many got it. */
  toAvailableResources(bareJid: string, stanza: Element): number;
  /** Serialized XML to the session of a session table entry, on this node or another (fan-out already addressed per recipient). */
  toEntry(entry: SessionEntry, xml: string): void;
  /** An iq get/set from the server to `to`: resolves with the result iq, rejects with a StanzaError (its error, or a timeout). */
  request(iq: Element, from: JID, to: JID, timeoutMs?: number): Promise<Element>;
  /**
   * XML already serialized, for a bound session of a local account (on this node or, through the
   * node forwarder, another): false when `fullJid` is no such session (route the element instead).
   * A component fanning one stanza out serializes it once and changes only 'to'.
   */
  deliverSerialized(fullJid: string, xml: string): boolean;
}

/** The services a module may use, listed (not the whole server). */
export interface ModuleServices {
  readonly storage: Storage;
  readonly directory: Directory;
  /** The conversation archive (XEP-0313), or null when archive.enabled is false. */
  readonly archive: Archive | null;
  /** Directory changes from the admin API, the CLI's event log or the suite's bus. */
  readonly suiteEvents: SuiteEventBus;
  /** The group commit of archive and offline writes (storage/group-commit.ts). */
  readonly commits: GroupCommit;
  /** Nodes and items of every pubsub service here (pubsub/store.ts): accounts' PEP services. */
  readonly pubsub: PubSubStore;
  /** Account operations with the same rules as the admin API and the CLI (admin/service.ts implements them). */
  readonly admin: AccountAdministration;
}

/** A module's HTTP routes for one listener (plain or TLS), attached to its app (http/routes.ts HttpRoutes). */
export type ModuleHttpRoutes = (encrypted: boolean) => (app: uWS.TemplatedApp) => void;

/** The ports the HTTP listeners got (filled in once they listen). */
export interface ListenerPorts {
  readonly http: number;
  readonly https: number | null;
}

/** Whether a web page (its Origin header) may use an endpoint (transport/origins.ts OriginPolicy). */
export interface OriginCheck {
  decide(origin: string): 'no-origin' | 'allowed' | 'refused';
}

/** What a module may do on the HTTP listeners (as Prosody modules `provides("http")`). */
export interface ModuleHttp {
  /** Add routes, attached when the listeners start; a feature name used twice throws. */
  route(feature: string, routes: ModuleHttpRoutes): void;
  readonly ports: ListenerPorts;
  /** The first configured public base URL (http.publicUrls), if any. */
  readonly publicUrl: string | undefined;
  /** The server's own pages plus these origins ('*' = any), judged as for WebSocket and BOSH. */
  origins(allowedOrigins: string[]): OriginCheck;
}

export interface ModuleContext<O = undefined> {
  readonly name: string;
  /** The server's logger with { module: name }. */
  readonly log: Logger;
  readonly options: O;
  /** Read-only: who is online where (router and presence decisions). */
  readonly sessions: SessionTableView;
  /** The live session behind a session table entry of this node. */
  localSession(sessionId: string): SessionHandle | undefined;
  /** Sessions moving between the nodes of a cluster (XEP-0198 resumption elsewhere); null on a single node. */
  readonly sessionMoves: SessionMoves | null;
  readonly services: ModuleServices;
  /** Take part in a stanza pipeline (first taker wins). */
  hook<K extends keyof ServerPipelines & string>(event: K, handler: PipelineHandler<ServerPipelines[K]>, priority?: number): void;
  /** Listen to a notification (every handler runs, by priority). */
  on<K extends keyof ServerNotifications & string>(event: K, handler: NotificationHandler<ServerNotifications[K]>, priority?: number): void;
  emit<K extends keyof ServerNotifications & string>(event: K, payload: ServerNotifications[K]): Awaitable;
  /**
   * Answer iq get/set with this payload element; a second handler for the same target, type and
   * element throws. Another element of a namespace registered here is answered with bad-request.
   */
  iq(target: IqTarget, type: 'get' | 'set', payload: IqPayload, handler: IqHandler): void;
  /** XEP-0030: what the server and accounts announce, only what a module really handles. */
  readonly features: {
    server(namespace: string): void;
    account(namespace: string): void;
    identity(identity: DiscoIdentity): void;
    /** An identity every account has (XEP-0163 §6.1: pubsub/pep). */
    accountIdentity(identity: DiscoIdentity): void;
    /**
     * Items and nodes of a served domain (its MUC and upload services, XEP-0050's commands node) or
     * of every account (XEP-0060 §5.2-5.3: its PEP nodes), asked at each query (core/disco.ts).
     */
    provider(entity: DiscoEntity, provider: DiscoProvider): void;
    /** What the loaded modules registered (sorted): for the disco module's answers. */
    serverFeatures(): string[];
    accountFeatures(): string[];
    identities(): readonly DiscoIdentity[];
    accountIdentities(): readonly DiscoIdentity[];
    hasProviders(entity: DiscoEntity): boolean;
    items(entity: DiscoEntity, request: DiscoRequest): Promise<DiscoItem[] | null>;
    nodeInfo(entity: DiscoEntity, request: DiscoNodeRequest): Promise<DiscoInfo | null>;
  };
  /**
   * The served names, and component domains (XEP-0045 and XEP-0363 services…) served on the
   * router's host table (ejabberd's register_route).
   */
  readonly hosts: ComponentHosts;
  /** What the module serves on the HTTP listeners (XEP-0363 PUT and GET). */
  readonly http: ModuleHttp;
  // What a module adds to a client stream, phase by phase; one registry (core/stream-extensions.ts).
  /** A <stream:features/> child: after authentication (the default) or before it (XEP-0077 §4). */
  streamFeature(build: FeatureBuilder, phase?: FeaturePhase): void;
  /** An iq get/set a stream answers before authentication, by its payload's namespace (XEP-0077 §3). One per namespace. */
  unauthenticatedIq(xmlns: string, handler: UnauthenticatedIqHandler): void;
  /**
   * A feature negotiated inside the SASL2 <authenticate/> (XEP-0388 §2.3), after authentication and
   * before Bind 2: XEP-0198 resumption (core/sign-in-extensions.ts). One per namespace.
   */
  sasl2Inline(feature: Sasl2InlineFeature): void;
  /** A feature enabled inside Bind 2 (XEP-0386 §3.2): XEP-0198 <enable/>, XEP-0280 <enable/>. One per namespace. */
  bind2Inline(feature: Bind2InlineFeature): void;
  /** A nonza after authentication and before binding (XEP-0198 <resume/>). */
  negotiationNonza(xmlns: string, name: string, handler: NegotiationNonzaHandler): void;
  /** A top-level non-stanza element on a bound stream (XEP-0198 <r/>, XEP-0352 <active/>). */
  nonza(xmlns: string, name: string, handler: NonzaHandler): void;
  readonly router: Routing;
  /** A named store in the configured state storage (`<module>.<name>`). */
  store<V = unknown>(name: string): KeyValueStore<V>;
  /** A named cache (`<module>.<name>`) of values this module keeps in a store. */
  cache<V>(name: string): Cache<V>;
  /** Figures for /metrics (gauges, counters), read only when scraped (metrics/feature-metrics.ts). */
  readonly metrics: MetricsRegistration;
}

export interface ModuleDefinition<O = undefined> {
  name: string;
  implements: Specification[];
  /** Typed options with defaults and floors; parsed at start, a bad value stops the start. */
  options?: ZodType<O>;
  /** Where the configuration holds this module's options (default: config.modules[name]). */
  configuredOptions?(config: Config): unknown;
  /** Modules that must be loaded first (their handlers run before this one's at equal priority); a missing one throws. */
  dependencies?: string[];
  register(ctx: ModuleContext<O>): Awaitable;
}

/** A definition of any options type (the loader's list; each module's options are checked by its own schema). */
// `any`, not `unknown`: register(ctx: ModuleContext<O>) takes the options type contravariantly.
export type AnyModuleDefinition = ModuleDefinition<any>;

/** Declare a module with its options type inferred from its schema. */
export function defineModule<O = undefined>(definition: ModuleDefinition<O>): ModuleDefinition<O> {
  return definition;
}
