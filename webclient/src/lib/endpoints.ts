// Where the XMPP endpoints are: beside the page by default (the server serves the panel), or as
// the host page sets them in window.parleyConfig before the panel loads.
export interface Endpoints {
  websocketUrl: string;
  boshUrl: string;
}

declare global {
  interface Window {
    parleyConfig?: Partial<Endpoints> & {
      /** Seconds between checks that WebSocket works again while on the BOSH fallback. */
      preferredProbeSeconds?: number;
      /** The webmail's origin, the only one the embedded panel talks to (also ?host=…). */
      hostOrigin?: string;
    };
  }
}

export function endpoints(): Endpoints {
  const base = new URL(location.href);
  const websocket = new URL('/xmpp-websocket', base);
  websocket.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return {
    websocketUrl: window.parleyConfig?.websocketUrl ?? websocket.href,
    boshUrl: window.parleyConfig?.boshUrl ?? new URL('/http-bind', base).href,
  };
}
