// The server's lifecycle: start (storage, domains, certificates, modules, listeners) and stop.
import { join } from 'node:path';
import { StreamError } from '@parley/shared';
import type { Config } from './config.ts';
import type { ServerContext } from './context.ts';
import { createLogger, type Logger } from './logger.ts';
import { openDataFolder, type DataStores } from './data-folder.ts';
import { LoginThrottle } from './sasl/index.ts';
import { CertificateStore } from './tls/certificates.ts';
import { DnsResolver } from './dns/resolver.ts';
import { Hosts } from './router/hosts.ts';
import { SessionRegistry } from './router/sessions.ts';
import { Router } from './router/router.ts';
import { Modules } from './modules/registry.ts';
import { defaultModules } from './modules/index.ts';
import { ClientSession } from './stream/session.ts';
import { boshFraming, tcpFraming, websocketFraming } from './stream/framing.ts';
import type { Connection } from './stream/connection.ts';
import { listenTcp, type TcpListeners } from './transport/tcp.ts';
import { listenHttp, type HttpListeners } from './transport/http.ts';
import { Authentication } from './auth/authentication.ts';
import { AdminService } from './admin/service.ts';
import { EventLogRelay, SuiteEventBus } from './bus/event-bus.ts';
import { NatsSuiteBus } from './bus/nats.ts';
import { startLiveSync } from './directory/live-sync.ts';
import { openArchive, type Archive } from './archive/index.ts';
import { GroupCommit } from './storage/group-commit.ts';

export interface Ports {
  c2s: number;
  c2sTls: number | null;
  http: number;
  https: number | null;
}

/** How often the domain list is re-read, so `parley domain add` reaches a running server. */
const DOMAIN_REFRESH_MS = 5000;

export class ParleyServer {
  private tcp: TcpListeners | null = null;
  private http: HttpListeners | null = null;
  private domainRefresh: NodeJS.Timeout | null = null;
  private eventLog: EventLogRelay | null = null;
  /** The suite's NATS bus, when configured (config.bus.nats). */
  suiteBus: NatsSuiteBus | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(readonly ctx: ServerContext, readonly ports: Ports = { c2s: 0, c2sTls: null, http: 0, https: null }) {}

  static async start(config: Config, log: Logger = createLogger(config.log.level)): Promise<ParleyServer> {
    const data = openDataFolder(config.dataDir, config.storage);
    const hosts = new Hosts(data.directory.domains);
    await hosts.load(config.domains);
    const certificates = new CertificateStore({ certsDir: join(config.dataDir, 'certs'), log });
    for (const domain of hosts.list()) await certificates.ensure(domain);
    // files an admin drops into the certs folder replace a domain's certificate while running
    certificates.watch();
    hosts.onChange((domain, added) => {
      if (added) certificates.ensure(domain).catch((err: unknown) => log.error({ err, domain }, 'certificate generation failed'));
    });
    const ctx = buildContext(config, log, data, hosts, certificates);
    // The conversation archive (XEP-0313) before the modules: modules/mam/ archives delivered messages.
    (ctx as { archive: Archive | null }).archive = config.archive.enabled ? await openArchive(config, data.storage, ctx.commits, log) : null;
    ctx.modules.load(ctx, defaultModules);
    // Directory changes act on the running server (after the modules: avatar and presence are loaded).
    startLiveSync(ctx);

    const server = new ParleyServer(ctx);
    // Changes made by the `parley` CLI reach this process through the database's event log.
    server.eventLog = new EventLogRelay(data.suiteEventLog, ctx.suiteEvents, config.directory.eventPollMs,
      (text) => log.warn({ event: text }, 'unreadable suite event in the event log'));
    await server.eventLog.start();
    if (config.bus.nats) server.suiteBus = new NatsSuiteBus(ctx, config.bus.nats);
    const open = (framing: typeof tcpFraming) => (connection: Connection) => new ClientSession(ctx, connection, framing);
    try {
      server.tcp = await listenTcp(ctx, open(tcpFraming));
      server.http = await listenHttp(ctx, open(websocketFraming), open(boshFraming));
    } catch (error) {
      // a port that cannot be bound (transport/listen-error.ts): what is open closes, storage is flushed
      await server.stop();
      throw error;
    }
    Object.assign(server.ports, {
      c2s: server.tcp.port, c2sTls: server.tcp.tlsPort, http: server.http.port, https: server.http.tlsPort,
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
      for (const session of this.ctx.sessions.allOpen()) session.streamError(new StreamError('system-shutdown', 'the server is stopping'));
      this.ctx.certificates.close();
      this.http?.close();
      await this.tcp?.close();
      // let queued presence updates and closing writes go out before the store closes
      await new Promise((resolve) => setTimeout(resolve, 50));
      await this.ctx.commits.flush();
      await this.ctx.archive?.close();
      await this.ctx.storage.close();
      this.ctx.log.info({ event: 'stopped' }, 'Parley stopped');
    })();
    return this.stopping;
  }
}

/** The throttle's longest delay leaves the login two thirds of the authentication timeout (limits.authTimeoutSeconds). */
function maxLoginDelay(config: Config): number {
  return Math.min(config.limits.authMaxDelayMs, Math.floor((config.limits.authTimeoutSeconds * 1000) / 3));
}

function buildContext(config: Config, log: Logger, data: DataStores, hosts: Hosts, certificates: CertificateStore): ServerContext {
  const suiteEvents = new SuiteEventBus((err, event) => log.error({ err, event }, 'suite event handling failed'));
  const { storage, directory } = data;
  const ctx = {
    config, log, storage, hosts, certificates, suiteEvents,
    commits: new GroupCommit((err) => log.error({ err }, 'group commit: a write failed')),
    dns: new DnsResolver(config.dns),
    // the embedded directory (data-folder.ts); an external suite directory would be chosen there
    directory,
    authentication: new Authentication(config, storage, directory, log),
    admin: new AdminService(storage, directory, suiteEvents),
    sessions: new SessionRegistry(),
    modules: new Modules(),
    loginThrottle: new LoginThrottle({
      addressFailures: config.limits.authFailures,
      accountFailures: config.limits.authAccountFailures,
      baseDelayMs: Math.min(config.limits.authDelayMs, maxLoginDelay(config)),
      maxDelayMs: maxLoginDelay(config),
      windowMs: config.limits.authFailureWindowSeconds * 1000,
      log,
    }),
  } as Omit<ServerContext, 'router'> as ServerContext;
  (ctx as { router: Router }).router = new Router(ctx);
  return ctx;
}
