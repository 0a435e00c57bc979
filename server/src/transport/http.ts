// The uWebSockets.js HTTP app (plain and TLS) that carries WebSocket and BOSH, and the web client later.
import uWS from 'uWebSockets.js';
import { join } from 'node:path';
import type { ServerContext } from '../context.ts';
import { attachWebSocket } from './websocket.ts';
import { StaticFiles } from './static-files.ts';
import type { SessionFactory } from './tcp.ts';
import { attachBosh } from './bosh/bosh-http.ts';
import { BoshSessions } from './bosh/bosh-sessions.ts';
import { attachAdminApi } from '../admin/http.ts';

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
  const plain = uWS.App();
  attachRoutes(ctx, plain, createSession, false);
  attachBosh(ctx, plain, bosh, createBoshSession, false);
  const sockets: uWS.us_listen_socket[] = [];
  const port = await listen(plain, config.bind, config.http.port, sockets);
  let tlsPort: number | null = null;
  if (config.http.tlsPort >= 0) {
    const certsDir = join(config.dataDir, 'certs');
    const fileOptions = (domain: string) => ({
      key_file_name: join(certsDir, `${domain}.key`),
      cert_file_name: join(certsDir, `${domain}.crt`),
    });
    const secure = uWS.SSLApp(fileOptions(ctx.hosts.first));
    for (const domain of ctx.hosts.list()) secure.addServerName(domain, fileOptions(domain));
    // domains (and aliases) served later — suite bus, admin API — get their certificate here too
    ctx.hosts.onChange((domain, added) => {
      if (!added) return secure.removeServerName(domain);
      ctx.certificates.ensure(domain).then(() => secure.addServerName(domain, fileOptions(domain)), () => {});
    });
    attachRoutes(ctx, secure, createSession, true);
    attachBosh(ctx, secure, bosh, createBoshSession, true);
    tlsPort = await listen(secure, config.bind, config.http.tlsPort, sockets);
  }
  return {
    port,
    tlsPort,
    close: () => {
      // BOSH sessions still open (or lingering after terminate) end now; held requests are answered
      bosh.close();
      for (const socket of sockets) uWS.us_listen_socket_close(socket);
    },
  };
}

function attachRoutes(ctx: ServerContext, app: uWS.TemplatedApp, createSession: SessionFactory, encrypted: boolean): void {
  attachWebSocket(ctx, app, createSession, encrypted);
  attachAdminApi(ctx, app, encrypted); // /admin/api/*, only when an admin token or JWT is configured
  const webClient = new StaticFiles(ctx.config.http.webClientDir);
  app.get('/*', (res, req) => {
    if (webClient.serve(res, req.getUrl(), req.getHeader('if-none-match'), req.getHeader('accept-encoding'))) return;
    if (req.getUrl() === '/') {
      res.writeHeader('Content-Type', 'text/plain; charset=utf-8')
        .end('Parley XMPP server. The web client is not built: run `npm run build -w @parley/webclient`.\n');
      return;
    }
    res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain; charset=utf-8').end('Not found\n');
  });
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain; charset=utf-8').end('Not found\n');
  });
}

function listen(app: uWS.TemplatedApp, host: string, port: number, sockets: uWS.us_listen_socket[]): Promise<number> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (!socket) return reject(new Error(`cannot listen on ${host}:${port}`));
      sockets.push(socket);
      resolve(uWS.us_socket_local_port(socket));
    });
  });
}
