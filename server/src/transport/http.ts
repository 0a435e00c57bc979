// The uWebSockets.js HTTP apps (plain and TLS) that carry WebSocket, BOSH, the admin API and the web client.
import uWS from 'uWebSockets.js';
import type { ServerContext } from '../context.ts';
import { webSocketRoute } from './websocket.ts';
import { StaticFiles } from './static-files.ts';
import type { SessionFactory } from './tcp.ts';
import { boshRoutes } from './bosh/bosh-http.ts';
import { BoshSessions } from './bosh/bosh-sessions.ts';
import { adminApiRoutes } from '../admin/http.ts';
import { OriginPolicy, PublicOrigins, type HttpPorts } from './origins.ts';
import type { RouteAttacher } from './routes.ts';
import { TlsServerNames } from './server-names.ts';
import { listenError } from './listen-error.ts';
import { hostMetaRoutes } from './host-meta.ts';

export interface HttpListeners {
  port: number;
  tlsPort: number | null;
  close(): void;
}

/** `createBoshSession` opens the session layer for a BOSH session (its framing differs from WebSocket's). */
export async function listenHttp(ctx: ServerContext, createSession: SessionFactory, createBoshSession: SessionFactory): Promise<HttpListeners> {
  const { config } = ctx;
  // one set of BOSH sessions for both listeners: a session's requests may not all take the same one
  const bosh = new BoshSessions(ctx);
  // the listeners' ports, filled in as they listen (the default public URLs use them)
  const ports: HttpPorts = { http: 0, https: null };
  const publicOrigins = new PublicOrigins(config, ctx.hosts, ports);
  const routes = (encrypted: boolean) => listenerRoutes(ctx, encrypted, createSession, createBoshSession, bosh, publicOrigins);
  const sockets: uWS.us_listen_socket[] = [];
  try {
    const plain = uWS.App();
    routes(false)(plain);
    ports.http = await listen(plain, config.bind, config.http.port, sockets, 'http.port');
    if (config.http.tlsPort >= 0) {
      // the default certificate and routes: clients without SNI, or naming a host not served here
      // (uWS cannot replace this one while running: a replaced certificate reaches clients by SNI)
      const secure = uWS.SSLApp(TlsServerNames.files(ctx.certificates, ctx.hosts.first));
      const attach = routes(true);
      attach(secure);
      // every served name (domains and aliases, CertificateStore.ensure made their files at start)
      const names = new TlsServerNames(secure, attach, ctx.certificates);
      for (const domain of ctx.hosts.list()) names.add(domain);
      // a certificate replaced in the certs folder (tls/certificates.ts) serves new connections
      ctx.certificates.onChange((domain) => names.replace(domain));
      // names served later (suite bus, admin API, CLI) once their certificate is there; removed ones go
      ctx.hosts.onChange((domain, added) => {
        if (!added) return names.remove(domain);
        ctx.certificates.ensure(domain).then(() => {
          if (ctx.hosts.has(domain)) names.add(domain);
        }, () => {}); // server.ts logs certificate failures
      });
      ports.https = await listen(secure, config.bind, config.http.tlsPort, sockets, 'http.tlsPort');
    }
  } catch (error) {
    for (const socket of sockets) uWS.us_listen_socket_close(socket);
    throw error;
  }
  return {
    port: ports.http,
    tlsPort: ports.https,
    close: () => {
      // BOSH sessions still open (or lingering after terminate) end now; held requests are answered
      bosh.close();
      for (const socket of sockets) uWS.us_listen_socket_close(socket);
    },
  };
}

/** Everything one listener serves, built once and attached to its app and to each of its TLS server names. */
function listenerRoutes(ctx: ServerContext, encrypted: boolean, createSession: SessionFactory, createBoshSession: SessionFactory,
  bosh: BoshSessions, publicOrigins: PublicOrigins): RouteAttacher {
  const { config } = ctx;
  const attachWebSocket = webSocketRoute(ctx, createSession, encrypted, new OriginPolicy(publicOrigins, config.websocket.allowedOrigins));
  const attachBosh = boshRoutes(ctx, bosh, createBoshSession, encrypted, new OriginPolicy(publicOrigins, config.bosh.allowedOrigins));
  const attachAdminApi = adminApiRoutes(ctx, encrypted); // /admin/api/*, only when an admin token or JWT is configured
  const attachHostMeta = hostMetaRoutes(ctx, encrypted); // /.well-known/host-meta(.json), XEP-0156
  const webClient = new StaticFiles(config.http.webClientDir);
  const get = (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
    if (webClient.serve(res, req.getUrl(), req.getHeader('if-none-match'), req.getHeader('accept-encoding'))) return;
    if (req.getUrl() === '/') {
      res.writeHeader('Content-Type', 'text/plain; charset=utf-8')
        .end('Parley XMPP server. The web client is not built: run `npm run build -w @parley/webclient`.\n');
      return;
    }
    notFound(res);
  };
  return (app) => {
    attachWebSocket(app);
    attachBosh(app);
    attachAdminApi?.(app);
    attachHostMeta(app);
    app.get('/*', get);
    app.any('/*', notFound);
  };
}

function notFound(res: uWS.HttpResponse): void {
  res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain; charset=utf-8').end('Not found\n');
}

/**
 * uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT: without it uWS sets SO_REUSEPORT, and a second server on the
 * same port would "listen" too and get half the connections.
 */
const EXCLUSIVE_PORT = 1;

type ListenWithOptions = (host: string, port: number, options: number, cb: (socket: uWS.us_listen_socket | false) => void) => void;

/** `configKey` names the setting in the error a taken port gives (listen-error.ts). */
function listen(app: uWS.TemplatedApp, host: string, port: number, sockets: uWS.us_listen_socket[], configKey: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // (host, port, options, cb) exists in uWS.js but is missing from its type declarations
    (app.listen as unknown as ListenWithOptions).call(app, host, port, EXCLUSIVE_PORT, (socket) => {
      if (!socket) return void listenError(host, port, configKey).then(reject);
      sockets.push(socket);
      resolve(uWS.us_socket_local_port(socket));
    });
  });
}
