// TLS contexts for s2s listeners: the served domain's certificate (from the certificate store, so a
// replaced certificate serves new s2s connections too) with the CAs peers' certificates are checked
// against, so that a peer's client certificate can be verified (XEP-0178). Built on first use per
// domain, dropped when the store replaces the domain's certificate.
import tls, { type SecureContext } from 'node:tls';
import type { CertificateStore } from '../tls/certificates.ts';
import type { TlsContexts } from '../transport/tcp.ts';

export class PeerVerifyingContexts implements TlsContexts {
  private readonly contexts = new Map<string, SecureContext>();
  private readonly clientContexts = new Map<string, SecureContext>();
  private readonly listeners: Array<(domain: string) => void> = [];

  constructor(private readonly store: CertificateStore, private readonly ca: string[] | undefined) {
    store.onChange((domain) => {
      this.contexts.delete(domain);
      this.clientContexts.delete(domain);
      for (const listener of this.listeners) listener(domain);
    });
  }

  contextFor(domain: string): SecureContext | undefined {
    const cached = this.contexts.get(domain);
    if (cached) return cached;
    const pem = this.store.pemFor(domain);
    if (!pem) return undefined;
    const context = tls.createSecureContext({ ...pem, ca: this.ca });
    this.contexts.set(domain, context);
    return context;
  }

  /** For our outgoing connections from `domain`: its certificate, and the CAs for the peer's (one per domain, not per connection). */
  clientContext(domain: string): SecureContext {
    let context = this.clientContexts.get(domain);
    if (!context) {
      context = tls.createSecureContext({ ...this.store.pemFor(domain), ca: this.ca });
      this.clientContexts.set(domain, context);
    }
    return context;
  }

  pemFor(domain: string) {
    return this.store.pemFor(domain);
  }

  onChange(listener: (domain: string) => void): void {
    this.listeners.push(listener);
  }

  /** The exact served name's context, else the default name's (an s2s peer names the domain it wants: SNI). */
  sniCallback(defaultDomain: string): (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void {
    return (servername, cb) => {
      const name = servername.toLowerCase();
      cb(null, (this.store.pemFor(name) ? this.contextFor(name) : undefined) ?? this.contextFor(defaultDomain));
    };
  }
}
