// The server's wiring and lifecycle: every part is built here, each given what it needs and no
// more, in the one order that works (the numbered steps say why where it matters), then stopped.
import { join } from 'node:path';
import { StreamError } from '@parley/shared';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import type { Storage } from './storage/index.ts';
import { openDataStores } from './data-folder.ts';
import { LoginThrottle, loadCertificateReader } from './sasl/index.ts';
import { FastTokens } from './auth/fast-tokens.ts';
import { CertificateStore } from './tls/certificates.ts';
import { DnsResolver } from './dns/resolver.ts';
import { Authentication } from './auth/authentication.ts';
import { AdminService } from './admin/service.ts';
import { adminApiEnabled, adminApiRoutes } from './admin/http.ts';
import { createAdminRuntime } from './admin/runtime.ts';
import { EventLogRelay, SuiteEventBus } from './suite-bus/event-bus.ts';
import { NatsSuiteBus } from './suite-bus/nats.ts';
import type { Directory } from './directory/types.ts';
import { openArchive, type Archive } from './archive/index.ts';
import { GroupCommit } from './storage/group-commit.ts';
import { ServerCounters } from './metrics/counters.ts';
import { ServerMetrics } from './metrics/registry.ts';
import { FeatureMetrics } from './metrics/feature-metrics.ts';
import { metricsRoutes } from './metrics/http.ts';
import { createServerHub, type ServerHub } from './core/server-events.ts';
import { LocalCaches } from './core/cache.ts';
import { DiscoRegistry } from './core/disco.ts';
import { IqHandlers } from './core/iq-handlers.ts';
import { StreamExtensions } from './core/stream-extensions.ts';
import { ModuleHost } from './core/module-host.ts';
import type { AnyModuleDefinition } from './core/module-api.ts';
import type { SessionTable } from './core/session-table.ts';
import { HostTable } from './router/host-table.ts';
import { MemorySessionTable } from './router/memory-session-table.ts';
import { Router } from './router/router.ts';
import { defaultModules } from './modules/index.ts';
import { LocalSessions } from './session/local-sessions.ts';
import { C2sStream, type C2sServices } from './stream/c2s-stream.ts';
import { OpenStreams } from './stream/open-streams.ts';
import { c2sFraming, type Framing } from './stream/framing.ts';
import { ExternalComponents } from './components/external.ts';
import type { Connection } from './stream/connection.ts';
import { HttpServer } from './http/server.ts';
import { webClientRoutes } from './http/web-client.ts';
import { hostMetaRoutes } from './transport/host-meta.ts';
import { ConnectionCounter } from './transport/connection-limits.ts';
import { listenTcp, type TcpListeners } from './transport/tcp.ts';
import { websocketRoutes } from './transport/websocket.ts';
import { OriginPolicy, PublicOrigins } from './transport/origins.ts';
import { BoshSessions } from './transport/bosh/bosh-sessions.ts';
import { Federation } from './s2s/federation.ts';
import { DirectoryFederationPolicy } from './s2s/policy.ts';
import { serverSecret } from './s2s/server-secret.ts';
import { boshRoutes } from './transport/bosh/bosh-http.ts';
import { joinCluster, nodeName, type ClusterBusFactory } from './cluster/start-cluster.ts';
import type { ClusterNode } from './cluster/cluster-node.ts';
import { clusterSuiteEvents } from './cluster/suite-relay.ts';
import { relayCertificates } from './cluster/certificate-relay.ts';
import { installCertificate } from './tls/certificate-install.ts';
import { clusterSessionMoves } from './cluster/session-moves.ts';

export interface Ports {
  c2s: number;
  c2sTls: number | null;
  http: number;
  https: number | null;
  /** External components (XEP-0114); null unless components are configured. */
  component: number | null;
  /** Federation (s2s/): STARTTLS and direct TLS ports, null when off. */
  s2s: number | null;
  s2sTls: number | null;
}

export interface StartOptions {
  /** The feature modules to load (default: modules/index.ts). */
  modules?: readonly AnyModuleDefinition[];
  /** The cluster bus of a worker of `parley start --workers N` (cluster/ipc-bus.ts); otherwise config.cluster.nats, or none. */
  clusterBus?: ClusterBusFactory;
  /** A worker of `parley start --workers N`: the HTTP listeners share their ports with the other workers (SO_REUSEPORT). */
  sharedPorts?: boolean;
}

/** How often the domain list is re-read, so `parley domain add` reaches a running server. */
const DOMAIN_REFRESH_MS = 5000;

/** What ParleyServer.start builds, handed to the instance (for stop, the CLI and tests). */
interface ServerParts {
  config: Config;
  log: Logger;
  storage: Storage;
  directory: Directory;
  archive: Archive | null;
  hub: ServerHub;
  hosts: HostTable;
  table: SessionTable;
  sessions: LocalSessions;
  router: Router;
  streams: OpenStreams;
  disco: DiscoRegistry;
  iqHandlers: IqHandlers;
  modules: ModuleHost;
  admin: AdminService;
  suiteEvents: SuiteEventBus;
  commits: GroupCommit;
  certificates: CertificateStore;
  dns: DnsResolver;
  federation: Federation | null;
  cluster: ClusterNode | null;
}

export class ParleyServer {
  readonly config: Config;
  readonly log: Logger;
  readonly storage: Storage;
  readonly directory: Directory;
  /** The conversation archive (XEP-0313), or null when archive.enabled is false. */
  readonly archive: Archive | null;
  readonly hub: ServerHub;
  /** Served names: account domains, aliases, components. */
  readonly hosts: HostTable;
  /** Who is bound where (router and presence read it). */
  readonly sessionTable: SessionTable;
  /** This node's live sessions, by id or full JID. */
  readonly sessions: LocalSessions;
  /** Stanzas between sessions, components and (later) remote domains. */
  readonly router: Router;
  readonly disco: DiscoRegistry;
  /** Every iq handler the modules registered. */
  readonly iqHandlers: IqHandlers;
  readonly modules: ModuleHost;
  /** Admin operations (admin API, suite bus), announcing their changes on the suite events. */
  readonly admin: AdminService;
  /** DNS through the configured servers (config.dns), cached: SRV targets for federation (dns/targets.ts). */
  readonly dns: DnsResolver;
  readonly ports: Ports = { c2s: 0, c2sTls: null, http: 0, https: null, component: null, s2s: null, s2sTls: null };
  /** Server-to-server links and listeners (null when s2s.enabled is false: remote domains bounce). */
  readonly federation: Federation | null;
  /** This node in its cluster (cluster/), null for a server on its own. */
  readonly cluster: ClusterNode | null;
  /** The suite's NATS bus, when configured (config.bus.nats). */
  suiteBus: NatsSuiteBus | null = null;
  private readonly streams: OpenStreams;
  private readonly suiteEvents: SuiteEventBus;
  private readonly commits: GroupCommit;
  private readonly certificates: CertificateStore;
  private tcp: TcpListeners | null = null;
  private components: ExternalComponents | null = null;
  private http: HttpServer | null = null;
  private domainRefresh: NodeJS.Timeout | null = null;
  private eventLog: EventLogRelay | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(parts: ServerParts) {
    this.config = parts.config;
    this.log = parts.log;
    this.storage = parts.storage;
    this.directory = parts.directory;
    this.archive = parts.archive;
    this.hub = parts.hub;
    this.hosts = parts.hosts;
    this.sessionTable = parts.table;
    this.sessions = parts.sessions;
    this.router = parts.router;
    this.streams = parts.streams;
    this.disco = parts.disco;
    this.iqHandlers = parts.iqHandlers;
    this.modules = parts.modules;
    this.admin = parts.admin;
    this.suiteEvents = parts.suiteEvents;
    this.commits = parts.commits;
    this.certificates = parts.certificates;
    this.dns = parts.dns;
    this.federation = parts.federation;
    this.cluster = parts.cluster;
  }

  static async start(config: Config, log: Logger = createLogger(config.log.level), options: StartOptions = {}): Promise<ParleyServer> {
    // 1. State, the served names and their certificates: everything else asks them.
    // the state stores where the configuration puts them: the data folder's SQLite file or PostgreSQL (data-folder.ts)
    const data = await openDataStores(config.dataDir, config.storage);
    const { storage, directory } = data;
    const hub = createServerHub();
    // In a cluster (cluster/), every node hears the other nodes' session table, stanzas, rooms and suite events.
    const node = nodeName(config);
    const cluster = await joinCluster(config, node, hub, log, options.clusterBus);
    const hosts = new HostTable({
      // a domain the directory serves already (as a domain or an alias) stays as it is
      add: async (domain) => { if (!(await directory.domains.names()).has(domain)) await directory.domains.create(domain); },
      names: () => directory.domains.names(),
    }, hub);
    await hosts.load(config.domains);
    // in a cluster, each MUC room lives on one node (cluster/room-placement.ts)
    if (cluster) hosts.placeComponents((component) => cluster.rooms.place(component));
    const certificates = new CertificateStore({ certsDir: join(config.dataDir, 'certs'), log });
    for (const name of hosts.list()) await certificates.ensure(name);
    // files an admin drops into the certs folder replace a domain's certificate while running
    certificates.watch();
    // tls-server-end-point channel binding reads the certificates' signature algorithm (RFC 5929 §4.1)
    await loadCertificateReader();
    const suiteEvents = new SuiteEventBus((err, event) => log.error({ err, event }, 'suite event handling failed'));
    // in a cluster a change made here (admin API, console, suite bus) is published on every node
    const suitePublisher = cluster ? clusterSuiteEvents(node, cluster.bus, suiteEvents, log) : suiteEvents;
    // …and so is a certificate uploaded here: every node installs it in its own certs folder
    const certificateUploaded = cluster
      ? relayCertificates(node, cluster.bus, (name, cert, key) => installCertificate(certificates, join(config.dataDir, 'certs'), name, cert, key), log)
      : undefined;
    const admin = new AdminService(storage, directory, suitePublisher, Object.keys(config.components.services));
    // Served names follow the directory (before the modules' suite listeners: a new domain is served first).
    for (const type of ['domain.created', 'domain.removed', 'domain.aliases'] as const) suiteEvents.on(type, () => hosts.refresh());
    // every change to a domain (CLI, admin API, suite bus) is in the log, IM settings included
    for (const type of ['domain.created', 'domain.removed', 'domain.aliases', 'domain.im'] as const) {
      suiteEvents.on(type, (event) => void log.info({ event: type, domain: event.domain }, 'domain changed'));
    }
    // Archive and offline writes are committed together, once per turn (storage/group-commit.ts).
    // What the hot path counts for /metrics (plain numbers, read when scraped: metrics/)
    const counters = new ServerCounters();
    // what features add to /metrics (federation, MUC…), read by the registry made in step 5
    const featureMetrics = new FeatureMetrics();
    const commits = new GroupCommit((err) => log.error({ err }, 'group commit: a write failed'), counters.commits, config.limits.storageWaitingWrites);
    // The conversation archive (XEP-0313) before the modules: modules/mam/ archives delivered messages.
    const archive = config.archive.enabled ? await openArchive(config, storage, commits, log) : null;

    // 2. Sessions and the router. The session table names this process; entries a previous run of
    // the same node left behind (a shared table) are dropped first. In a cluster the table is the
    // shared one, and the router forwards to other nodes' sessions through the cluster.
    const table = cluster?.table ?? new MemorySessionTable();
    table.cleanupNode(node);
    // The session layer hands client stanzas to the router, which delivers through the session
    // layer: the router is made right after, and only called once a stream is bound.
    let router: Router | null = null;
    const sessions = new LocalSessions({ node, table, hub, log: log.child({ component: 'sessions' }), fromClient: (session, stanza) => router!.fromClient(session, stanza), delivered: counters.delivered });
    const iq = new IqHandlers();
    const streams = new OpenStreams(hub);
    const dns = new DnsResolver(config.dns);
    // Domains not served here go to the federation (s2s/), which routes what peers send through the router.
    // Who federates with whom is each domain's directory setting, followed live (suite event domain.federation).
    const federationPolicy = new DirectoryFederationPolicy(config.s2s, directory.domains, (name) => hosts.canonical(name));
    await federationPolicy.load();
    const federation = config.s2s.enabled ? new Federation({
      config, hosts, dns, certificates, hub, log: log.child({ component: 's2s' }), metrics: featureMetrics,
      router: { route: (stanza, from, to, origin) => router!.route(stanza, from, to, origin), bounce: (stanza, error, origin) => router!.bounce(stanza, error, origin) },
      policy: federationPolicy,
      secret: await serverSecret(storage),
      backPressure: { commits, counters },
    }) : null;
    for (const type of ['domain.federation', 'domain.created'] as const) {
      suiteEvents.on(type, async ({ domain }) => {
        await federationPolicy.refresh(domain);
        federation?.enforcePolicy();
      });
    }
    router = new Router({
      counters,
      node, hosts, sessions: table, local: sessions, hub, iq, log: log.child({ component: 'router' }),
      accountExists: async (bare) => (await storage.accounts.get(bare)) !== null,
      remote: federation ?? undefined,
      nodes: cluster?.forwarder,
    });

    // 3. Feature modules: their handlers on the hub, their iqs, disco features and stream features.
    const disco = new DiscoRegistry();
    const extensions = new StreamExtensions();
    // The HTTP app before the modules: they add routes to it (upload), attached when it listens (step 5).
    const http = new HttpServer({ bind: config.bind, port: config.http.port, tlsPort: config.http.tlsPort, certificates, sharedPorts: options.sharedPorts });
    // the server's own pages for the WebSocket, BOSH and upload origin checks, on the ports the listeners get
    const publicOrigins = new PublicOrigins(config, hosts, http.ports);
    const modules = new ModuleHost({
      config, log, hub, iq, disco, streams: extensions, router, hosts, sessions: table,
      localSession: (id) => sessions.session(id),
      sessionMoves: cluster ? clusterSessionMoves(cluster) : null,
      services: { storage, directory, archive, suiteEvents, commits, pubsub: data.pubsub, admin },
      http: {
        route: (feature, routes) => http.route(feature, routes), ports: http.ports, publicUrl: config.http.publicUrls?.[0],
        origins: (allowed) => new OriginPolicy(publicOrigins, allowed),
      },
      stores: (name) => storage.keyValue.open(name),
      caches: new LocalCaches(hub, node),
      metrics: featureMetrics,
    });
    await modules.load(options.modules ?? defaultModules);

    const server = new ParleyServer({
      config, log, storage, directory, archive, hub, hosts, table, sessions, router, streams, disco, iqHandlers: iq, modules, admin, suiteEvents, commits, certificates, dns, federation, cluster,
    });
    // The cluster before the listeners: the other nodes' sessions are known before a client binds here.
    await cluster?.start({ session: (id) => sessions.session(id), route: (stanza, from, to) => router!.route(stanza, from, to) });
    // 4. Changes made by the `parley` CLI reach this process through the database's event log.
    server.eventLog = new EventLogRelay(data.suiteEventLog, suiteEvents, config.directory.eventPollMs,
      (text) => log.warn({ event: text }, 'unreadable suite event in the event log'));
    await server.eventLog.start();
    // in a cluster one node takes each suite message (a queue group); the change reaches the others as a suite event
    if (config.bus.nats) server.suiteBus = new NatsSuiteBus(admin, log.child({ component: 'suite-bus' }), config.bus.nats, cluster ? 'parley' : undefined);

    // 5. Listeners last: nothing reaches a stream before the modules are in place.
    const c2s: C2sServices = {
      limits: config.limits, allowPlaintextOnLoopback: config.c2s.allowPlaintextOnLoopback, hosts, sessions, extensions, streams, commits, hub, counters,
      log: log.child({ component: 'c2s' }),
      sasl: {
        authentication: new Authentication(config, storage, directory, log), throttle: loginThrottle(config, log),
        log: log.child({ component: 'sasl' }), signIns: counters.signIns, extensions, fastTokens: fastTokens(config, storage),
      },
    };
    const open = (framing: Framing) => (connection: Connection) => new C2sStream(c2s, connection, framing);
    http.route('websocket', websocketRoutes({
      path: config.http.websocketPath, limits: config.limits, log: log.child({ component: 'websocket' }),
      origins: new OriginPolicy(publicOrigins, config.websocket.allowedOrigins),
    }, open(c2sFraming.websocket)));
    const boshLog = log.child({ component: 'bosh' });
    const bosh = new BoshSessions(config.bosh, (domain) => hosts.isAccountDomain(domain), boshLog);
    http.route('bosh', boshRoutes({ config: config.bosh, sessions: bosh, origins: new OriginPolicy(publicOrigins, config.bosh.allowedOrigins), log: boshLog },
      open(c2sFraming.bosh)));
    // BOSH sessions still open (or lingering after terminate) end; held requests are answered
    http.onClose(() => bosh.close());
    // /metrics and the admin console's live figures read one registry
    const metrics = config.metrics.enabled || adminApiEnabled(config.admin) ? serverMetrics(counters, featureMetrics, sessions, streams, config, storage) : null;
    if (adminApiEnabled(config.admin)) {
      const adminLog = log.child({ component: 'admin-api' });
      const { runtime, signIn } = createAdminRuntime({
        config, log: adminLog, storage, directory, events: suitePublisher, node, table, certificates, certificateUploaded, dns, archive: archive?.store ?? null,
        metrics: metrics!, sasl: c2s.sasl, firstDomain: () => hosts.first, served: (name) => hosts.has(name),
        transportOf: (id) => sessions.session(id)?.stream?.transport ?? null,
        componentConnections: () => server.components?.connections() ?? [],
        ports: () => ({ c2s: server.ports.c2s, c2sTls: server.ports.c2sTls ?? -1, s2s: server.ports.s2s ?? config.s2s.port, s2sTls: server.ports.s2sTls ?? -1 }),
      });
      // /admin/api/* and the console at /admin/, only when an admin token, JWT or admin accounts are configured
      http.route('admin', adminApiRoutes({ config: config.admin, admin, log: adminLog, runtime, signIn, webClientDir: config.http.webClientDir })!);
    }
    http.route('host-meta', hostMetaRoutes(config, hosts)); // /.well-known/host-meta(.json), XEP-0156
    if (config.metrics.enabled) http.route('metrics', metricsRoutes(config.metrics, metrics!, log.child({ component: 'metrics' })));
    http.route('web client', webClientRoutes(config.http.webClientDir));
    try {
      server.tcp = await listenTcp({
        bind: config.bind, port: config.c2s.port, tlsPort: config.c2s.tlsPort, alpnProtocols: ['xmpp-client'],
        tls: { certificates, defaultName: () => hosts.first }, perAddress: new ConnectionCounter(config.limits.connectionsPerIp),
        settings: { port: 'c2s.port', tlsPort: 'c2s.tlsPort' }, log: log.child({ component: 'tcp' }),
      }, open(c2sFraming.tcp));
      server.http = http;
      await http.listen(hosts.first, hosts.list());
      // External components (XEP-0114) on their own port once some are configured or stored (also
      // when an admin adds the first one later): each serves its domain from its handshake on.
      const components = new ExternalComponents({
        config, storage, hosts, router, streams, certificates, node, log: log.child({ component: 'components' }),
        backPressure: { commits, counters },
      });
      server.components = components;
      await components.listenIfNeeded();
      suiteEvents.on('component.changed', async ({ domain }) => {
        await components.changed(domain);
        server.ports.component = components.port;
      });
      if (federation) Object.assign(server.ports, await federation.listen().then(({ port, tlsPort }) => ({ s2s: port, s2sTls: tlsPort })));
    } catch (error) {
      // a port that cannot be bound (net/listen-error.ts): what is open closes, storage is flushed
      await server.stop();
      throw error;
    }
    // Names served later (suite bus, admin API, components) get their certificate, also for HTTPS (SNI).
    hub.on('host-added', ({ name, kind }) => {
      log.info({ domain: name, kind }, 'now serving');
      certificates.ensure(name).then(() => {
        if (hosts.has(name)) http.addServerName(name);
      }, (err: unknown) => log.error({ err, domain: name }, 'certificate generation failed'));
    });
    hub.on('host-removed', ({ name, kind }) => {
      log.info({ domain: name, kind }, 'no longer serving');
      http.removeServerName(name);
    });
    Object.assign(server.ports, {
      c2s: server.tcp.port, c2sTls: server.tcp.tlsPort, http: http.ports.http, https: http.ports.https,
      component: server.components?.port ?? null,
    });
    server.domainRefresh = setInterval(() => void hosts.refresh().catch(() => {}), DOMAIN_REFRESH_MS);
    server.domainRefresh.unref();
    log.info({ event: 'listening', ports: server.ports, domains: hosts.list(), dataDir: config.dataDir }, 'Parley is listening');
    return server;
  }

  /** RFC 6120 §4.9.3.17: every stream ends with system-shutdown; storage is flushed last. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.domainRefresh) clearInterval(this.domainRefresh);
      this.eventLog?.stop();
      await this.suiteBus?.close();
      this.streams.endAll(new StreamError('system-shutdown', 'the server is stopping'));
      await this.federation?.stop();
      this.certificates.close();
      // sessions kept without a stream (none unless a module hibernates them) end too
      for (const session of [...this.sessions.all()]) session.close();
      this.http?.close();
      await this.tcp?.close();
      await this.components?.close();
      // let queued presence updates and closing writes go out before the store closes
      await new Promise((resolve) => setTimeout(resolve, 50));
      await this.cluster?.stop();
      await this.commits.flush();
      await this.archive?.close();
      await this.storage.close();
      this.log.info({ event: 'stopped' }, 'Parley stopped');
    })();
    return this.stopping;
  }
}

/** FAST sign-in tokens (XEP-0484), or null when config.fast.enabled is false. */
function fastTokens(config: Config, storage: Storage): FastTokens | null {
  if (!config.fast.enabled) return null;
  return new FastTokens(storage.fastTokens, { lifetimeSeconds: config.fast.tokenLifetimeSeconds, rotateAfterSeconds: config.fast.rotateAfterSeconds });
}

/** Failed-login throttling per address and per account (sasl/throttle.ts). */
function loginThrottle(config: Config, log: Logger): LoginThrottle {
  // The longest delay leaves the login two thirds of the authentication timeout (limits.authTimeoutSeconds).
  const maxDelayMs = Math.min(config.limits.authMaxDelayMs, Math.floor((config.limits.authTimeoutSeconds * 1000) / 3));
  return new LoginThrottle({
    addressFailures: config.limits.authFailures,
    accountFailures: config.limits.authAccountFailures,
    baseDelayMs: Math.min(config.limits.authDelayMs, maxDelayMs),
    maxDelayMs,
    windowMs: config.limits.authFailureWindowSeconds * 1000,
    log: log.child({ component: 'login-throttle' }),
  });
}



/** The /metrics registry, reading this node's sessions, streams and archive queue when scraped. */
function serverMetrics(counters: ServerCounters, features: FeatureMetrics, sessions: LocalSessions, streams: OpenStreams, config: Config, storage: Storage): ServerMetrics {
  const external = config.archive.enabled && config.archive.backend === 'elasticsearch';
  return new ServerMetrics({
    counters, features,
    sessions: function* () {
      for (const session of sessions.all()) yield { transport: session.stream?.transport ?? 'none', attached: session.attached };
    },
    streams: () => streams.byTransport(),
    archiveQueue: external ? () => storage.archiveIndexQueue.size() : undefined,
  });
}
