// Which web pages may use the WebSocket and BOSH endpoints, judged by their Origin header (RFC 6454,
// RFC 6455 §10.2, Fetch standard CORS). The server's own pages are known from its public base URLs
// (http.publicUrls, or the defaults below), never from the request's Host header: a page on a name
// that an attacker points at this server (DNS rebinding) sends that name in Host and in Origin alike.
import { domainToUnicode } from 'node:url';
import type { Config } from '../config.ts';
import type { HttpPorts } from '../http/server.ts';
import type { HostTable } from '../router/host-table.ts';


/** Names a browser on this machine uses for the server when no public URL is configured (npm start). */
const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `scheme://host[:port]` in the form browsers send (RFC 6454 §6.2): lower case, default port left out. */
export function serializeOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    return parsed.origin;
  } catch {
    return null;
  }
}

/**
 * The origins of the server's own pages. Configured (http.publicUrls): exactly those. Default:
 * http:// and https:// on the listeners' ports for localhost, 127.0.0.1, [::1] and every served
 * domain and alias (including those added while running).
 */
export class PublicOrigins {
  private readonly configured: Set<string> | null;

  constructor(config: Config, private readonly hosts: Pick<HostTable, 'has'>, private readonly ports: HttpPorts) {
    const urls = config.http.publicUrls;
    this.configured = urls ? new Set(urls.map((url) => serializeOrigin(url)).filter((origin) => origin !== null)) : null;
  }

  has(origin: string): boolean {
    if (this.configured) return this.configured.has(origin.toLowerCase());
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // 'null' (sandboxed frames, file://) and anything else unparsable
    }
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    const listening = url.protocol === 'https:' ? this.ports.https : url.protocol === 'http:' ? this.ports.http : null;
    if (listening === null || port !== listening || url.origin !== origin.toLowerCase()) return false;
    const name = url.hostname;
    return LOCAL_NAMES.has(name) || this.hosts.has(name) || this.hosts.has(domainToUnicode(name));
  }
}

export type OriginDecision =
  /** no Origin header: not a browser, nothing to protect (RFC 6455 §4.1 makes it a browser's header) */
  | 'no-origin'
  /** allowed: a page of this server or a configured origin; CORS answers echo it */
  | 'allowed'
  | 'refused';

/** One endpoint's policy: the server's own pages, plus `allowedOrigins` ("https://mail.example.com", or "*"). */
export class OriginPolicy {
  private readonly any: boolean;
  private readonly listed: Set<string>;

  constructor(private readonly own: PublicOrigins, allowedOrigins: string[]) {
    this.any = allowedOrigins.includes('*');
    this.listed = new Set(allowedOrigins.filter((origin) => origin !== '*').map((origin) => serializeOrigin(origin) ?? origin));
  }

  decide(origin: string): OriginDecision {
    if (origin === '') return 'no-origin';
    if (this.any || this.listed.has(origin.toLowerCase()) || this.own.has(origin)) return 'allowed';
    return 'refused';
  }
}

