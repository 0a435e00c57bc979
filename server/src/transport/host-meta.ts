// XEP-0156 §3 (HTTP lookup): `/.well-known/host-meta` (XRD, RFC 6415) and `host-meta.json` (JRD)
// name the WebSocket (urn:xmpp:alt-connections:websocket) and BOSH (urn:xmpp:alt-connections:xbosh)
// URLs, so web clients find them from the domain alone. The URLs come from http.publicUrls (the
// names browsers reach this server by, a proxy's too: https ones first); without it, from the
// request's own scheme and Host when that names a served domain (or localhost).
import { domainToUnicode } from 'node:url';
import type uWS from 'uWebSockets.js';
import type { Config } from '../config.ts';
import type { HttpRoutes } from '../http/routes.ts';
import type { HostTable } from '../router/host-table.ts';

const WEBSOCKET_REL = 'urn:xmpp:alt-connections:websocket';
const BOSH_REL = 'urn:xmpp:alt-connections:xbosh';
const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

interface Link {
  rel: string;
  href: string;
}

export function hostMetaRoutes(config: Config, hosts: Pick<HostTable, 'has'>): HttpRoutes {
  return (encrypted) => hostMetaRoute(config, hosts, encrypted);
}

function hostMetaRoute(config: Config, hosts: Pick<HostTable, 'has'>, encrypted: boolean) {
  const linksFor = (base: string): Link[] => {
    const url = new URL(base);
    const path = (p: string) => `${url.host}${p}`;
    return [
      { rel: WEBSOCKET_REL, href: `${url.protocol === 'https:' ? 'wss' : 'ws'}://${path(config.http.websocketPath)}` },
      { rel: BOSH_REL, href: `${url.protocol}//${path(config.bosh.path)}` },
    ];
  };
  const configured = config.http.publicUrls
    ? [...config.http.publicUrls].sort((a, b) => Number(b.startsWith('https:')) - Number(a.startsWith('https:'))).flatMap(linksFor)
    : null;
  /** The links for this request, or null when its Host is not a name of this server. */
  const links = (host: string): Link[] | null => {
    if (configured) return configured;
    let hostname: string;
    try {
      hostname = new URL(`http://${host}`).hostname;
    } catch {
      return null;
    }
    if (!LOCAL_NAMES.has(hostname) && !hosts.has(hostname) && !hosts.has(domainToUnicode(hostname))) return null;
    return linksFor(`${encrypted ? 'https' : 'http'}://${host}`);
  };
  const serve = (format: 'xrd' | 'jrd') => (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
    const found = links(req.getHeader('host'));
    if (!found) {
      res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain; charset=utf-8').end('Not found\n');
      return;
    }
    // XEP-0156 §3: readable from any page (the web client may be on another origin); uWS writes the
    // status line with the first header, so this comes after any writeStatus
    res.writeHeader('Access-Control-Allow-Origin', '*');
    if (format === 'jrd') {
      res.writeHeader('Content-Type', 'application/json').end(JSON.stringify({ links: found }));
      return;
    }
    const body = found.map((link) => `  <Link rel="${link.rel}" href="${escapeAttribute(link.href)}"/>`).join('\n');
    res.writeHeader('Content-Type', 'application/xrd+xml; charset=utf-8')
      .end(`<?xml version="1.0" encoding="utf-8"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n${body}\n</XRD>\n`);
  };
  const xrd = serve('xrd');
  const jrd = serve('jrd');
  return (app: uWS.TemplatedApp) => {
    app.get('/.well-known/host-meta', xrd);
    app.get('/.well-known/host-meta.json', jrd);
  };
}

function escapeAttribute(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
}
