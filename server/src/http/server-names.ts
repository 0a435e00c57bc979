// The TLS server names (SNI, RFC 6066 §3) of the HTTPS listener, each with its certificate and routes.
//
// uWebSockets.js 20.x: addServerName(name) gives the name its certificate *and its own router*, empty
// at first; a request on a connection whose SNI is that name is routed there only, and finding no
// route, uWS drops the connection without an answer. So each name gets the listener's routes too:
// app.domain(name) selects the router the next get/post/ws calls attach to. A client without SNI,
// or with a name that is not served, gets the default certificate and router. (uWS prints a line on
// stdout for each domain() call; it has no option to keep quiet.)
import type uWS from 'uWebSockets.js';
import { normalizeDomain as certificateName, type CertificateStore } from '../tls/certificates.ts';
import type { RouteAttacher } from './routes.ts';

export class TlsServerNames {
  /** SNI names (A-labels) with a certificate and routes. */
  private readonly names = new Set<string>();

  constructor(private readonly app: uWS.TemplatedApp, private readonly attach: RouteAttacher, private readonly certificates: CertificateStore) {}

  /** The certificate files of a served name: the pair the store accepted (CertificateStore.filesFor). */
  static files(certificates: CertificateStore, domain: string): uWS.AppOptions {
    const files = certificates.filesFor(domain);
    if (!files) throw new Error(`no TLS certificate loaded for ${domain}`);
    return { key_file_name: files.keyPath, cert_file_name: files.certPath };
  }

  /** Serve `domain` by name; its certificate must be loaded (CertificateStore.ensure). */
  add(domain: string): void {
    const name = safeName(domain);
    if (name === null || this.names.has(name) || !this.certificates.filesFor(name)) return;
    this.app.addServerName(name, TlsServerNames.files(this.certificates, name));
    this.attach(this.app.domain(name));
    this.names.add(name);
  }

  /** A name no longer served: its connections fall back to the default certificate and routes. */
  remove(domain: string): void {
    const name = safeName(domain);
    if (name === null || !this.names.delete(name)) return;
    // also frees the name's router; sockets already upgraded to WebSocket stay open
    this.app.removeServerName(name);
  }

  /**
   * The name's certificate was replaced: uWS cannot swap a name's certificate in place, so the name
   * is removed and added again with the new files (and its routes). Connections already open keep
   * their TLS session; their next requests find the name's new router (uWS looks routers up by SNI
   * name per request), so keep-alive HTTPS, BOSH and WebSockets stay up.
   */
  replace(domain: string): void {
    const name = safeName(domain);
    if (name === null || !this.names.has(name)) return;
    this.remove(name);
    this.add(name);
  }
}

function safeName(domain: string): string | null {
  try {
    return certificateName(domain);
  } catch {
    return null; // not a host name (an IPv6 literal…): no SNI either
  }
}
