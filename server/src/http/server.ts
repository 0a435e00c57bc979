// The uWebSockets.js HTTP listeners (plain and TLS, one certificate per served name by SNI) and the
// routes the features that own them add before listening — WebSocket and BOSH (transport/), the
// admin API (admin/), the web client (web-client.ts) — as Prosody modules `provides("http")`.
import uWS from 'uWebSockets.js';
import { join } from 'node:path';

/** Adds one feature's routes to an app; called for the plain and (when on) the TLS listener. */
export type HttpRoutes = (app: uWS.TemplatedApp, encrypted: boolean) => void;

export interface HttpServerOptions {
  readonly bind: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** HTTPS with the same routes; -1 turns it off. */
  readonly tlsPort: number;
  /** `<name>.key` and `<name>.crt` per served name (tls/certificates.ts writes them). */
  readonly certsDir: string;
}

export class HttpServer {
  private readonly routes: Array<{ feature: string; attach: HttpRoutes }> = [];
  private readonly closers: Array<() => void> = [];
  private readonly sockets: uWS.us_listen_socket[] = [];
  private secure: uWS.TemplatedApp | null = null;
  port = 0;
  tlsPort: number | null = null;

  constructor(private readonly options: HttpServerOptions) {}

  /** A feature's routes, attached when the listeners start. */
  route(feature: string, attach: HttpRoutes): void {
    if (this.routes.some((route) => route.feature === feature)) throw new Error(`HTTP routes of ${feature} are already added`);
    this.routes.push({ feature, attach });
  }

  /** Run at close, before the listening sockets go (e.g. BOSH answers its held requests). */
  onClose(close: () => void): void {
    this.closers.push(close);
  }

  /** `defaultName`: the certificate for clients that name none; `names`: every served name (SNI). */
  async listen(defaultName: string, names: string[]): Promise<void> {
    const { options } = this;
    const plain = uWS.App();
    for (const route of this.routes) route.attach(plain, false);
    this.port = await this.listenOn(plain, options.port);
    if (options.tlsPort >= 0) {
      const secure = uWS.SSLApp(this.certificateFiles(defaultName));
      for (const name of names) secure.addServerName(name, this.certificateFiles(name));
      for (const route of this.routes) route.attach(secure, true);
      this.secure = secure;
      this.tlsPort = await this.listenOn(secure, options.tlsPort);
    }
  }

  /** A name served later (its certificate files exist): HTTPS answers it by SNI. */
  addServerName(name: string): void {
    this.secure?.addServerName(name, this.certificateFiles(name));
  }

  removeServerName(name: string): void {
    this.secure?.removeServerName(name);
  }

  close(): void {
    for (const close of this.closers) close();
    for (const socket of this.sockets) uWS.us_listen_socket_close(socket);
    this.sockets.length = 0;
  }

  private certificateFiles(name: string): uWS.AppOptions {
    return {
      key_file_name: join(this.options.certsDir, `${name}.key`),
      cert_file_name: join(this.options.certsDir, `${name}.crt`),
    };
  }

  private listenOn(app: uWS.TemplatedApp, port: number): Promise<number> {
    const host = this.options.bind;
    return new Promise((resolve, reject) => {
      app.listen(host, port, (socket) => {
        if (!socket) return reject(new Error(`cannot listen on ${host}:${port}`));
        this.sockets.push(socket);
        resolve(uWS.us_socket_local_port(socket));
      });
    });
  }
}
