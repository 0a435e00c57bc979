// The uWebSockets.js HTTP listeners (plain and TLS, one certificate and router per served name by
// SNI: server-names.ts) and the routes the features that own them add before listening —
// WebSocket and BOSH (transport/), the admin API (admin/), the web client (web-client.ts) — as
// Prosody modules `provides("http")`.
import uWS from 'uWebSockets.js';
import { listenError } from '../net/listen-error.ts';
import type { HttpPorts, HttpRoutes, RouteAttacher } from './routes.ts';
import { TlsServerNames } from './server-names.ts';

export type { HttpPorts, HttpRoutes, RouteAttacher };

export interface HttpServerOptions {
  readonly bind: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** HTTPS with the same routes; -1 turns it off. */
  readonly tlsPort: number;
  /** `<name>.key` and `<name>.crt` per served name (tls/certificates.ts writes them). */
  readonly certsDir: string;
}

/**
 * uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT: without it uWS sets SO_REUSEPORT, and a second server on the
 * same port would "listen" too and get half the connections.
 */
const EXCLUSIVE_PORT = 1;

type ListenWithOptions = (host: string, port: number, options: number, cb: (socket: uWS.us_listen_socket | false) => void) => void;

export class HttpServer {
  readonly ports: HttpPorts = { http: 0, https: null };
  private readonly routes: Array<{ feature: string; routes: HttpRoutes }> = [];
  private readonly closers: Array<() => void> = [];
  private readonly sockets: uWS.us_listen_socket[] = [];
  private names: TlsServerNames | null = null;

  constructor(private readonly options: HttpServerOptions) {}

  /** A feature's routes, attached when the listeners start. */
  route(feature: string, routes: HttpRoutes): void {
    if (this.routes.some((route) => route.feature === feature)) throw new Error(`HTTP routes of ${feature} are already added`);
    this.routes.push({ feature, routes });
  }

  /** Run at close, before the listening sockets go (e.g. BOSH answers its held requests). */
  onClose(close: () => void): void {
    this.closers.push(close);
  }

  /** `defaultName`: the certificate for clients that name none (or a name not served); `names`: every served name. */
  async listen(defaultName: string, names: string[]): Promise<void> {
    const { options } = this;
    try {
      const plain = uWS.App();
      this.attacherFor(false)(plain);
      this.ports.http = await this.listenOn(plain, options.port, 'http.port');
      if (options.tlsPort >= 0) {
        const secure = uWS.SSLApp(TlsServerNames.files(options.certsDir, defaultName));
        const attach = this.attacherFor(true);
        attach(secure);
        // every served name (CertificateStore.ensure made their files at start)
        this.names = new TlsServerNames(secure, attach, options.certsDir);
        for (const name of names) this.names.add(name);
        this.ports.https = await this.listenOn(secure, options.tlsPort, 'http.tlsPort');
      }
    } catch (error) {
      this.closeSockets();
      throw error;
    }
  }

  /** A name served later (its certificate files exist): HTTPS answers it by SNI with the same routes. */
  addServerName(name: string): void {
    this.names?.add(name);
  }

  /** A name no longer served: its connections fall back to the default certificate and routes. */
  removeServerName(name: string): void {
    this.names?.remove(name);
  }

  close(): void {
    for (const close of this.closers) close();
    this.closeSockets();
  }

  /** Every feature's routes for one listener, built once. */
  private attacherFor(encrypted: boolean): RouteAttacher {
    const attachers = this.routes.map((route) => route.routes(encrypted));
    return (app) => {
      for (const attach of attachers) attach(app);
    };
  }

  private closeSockets(): void {
    for (const socket of this.sockets) uWS.us_listen_socket_close(socket);
    this.sockets.length = 0;
  }

  /** `configKey` names the setting in the error a taken port gives (net/listen-error.ts). */
  private listenOn(app: uWS.TemplatedApp, port: number, configKey: string): Promise<number> {
    const host = this.options.bind;
    return new Promise((resolve, reject) => {
      // (host, port, options, cb) exists in uWS.js but is missing from its type declarations
      (app.listen as unknown as ListenWithOptions).call(app, host, port, EXCLUSIVE_PORT, (socket) => {
        if (!socket) return void listenError(host, port, configKey).then(reject);
        this.sockets.push(socket);
        resolve(uWS.us_socket_local_port(socket));
      });
    });
  }
}
