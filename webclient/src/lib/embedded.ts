// Embedded mode: the panel in an iframe of the suite's webmail, which talks to it by postMessage
// (docs: webclient/EMBEDDING.md; a host-side module: webclient/public/parley-embed.js).
//   host → panel: parley:login {jid, token} · parley:open {jid} · parley:watch {jids}
//                 parley:theme {theme: 'light'|'dark'|'auto'} · parley:language {language}
//   panel → host: parley:ready · parley:unread {count} · parley:presence {jid, availability, status}
//                 parley:status {status}
// The host's origin can be pinned with ?host=<origin> on the panel's address (or
// window.parleyConfig.hostOrigin): messages from elsewhere are ignored and ours go only there.
export interface EmbeddedLogin {
  jid: string;
  token: string;
}

export type HostCommand =
  | { type: 'parley:login'; jid: string; token: string }
  | { type: 'parley:open'; jid: string }
  | { type: 'parley:watch'; jids: string[] }
  | { type: 'parley:theme'; theme: 'light' | 'dark' | 'auto' }
  | { type: 'parley:language'; language: string };

export type PanelEvent =
  | { type: 'parley:ready' }
  | { type: 'parley:unread'; count: number }
  | { type: 'parley:presence'; jid: string; availability: string; status?: string }
  | { type: 'parley:status'; status: string };

export function loginFromFragment(hash: string): EmbeddedLogin | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  const jid = params.get('jid');
  return token && jid ? { token, jid } : null;
}

/** Remove the token from the address bar and history, so it is not bookmarked or shared. */
export function clearFragment(): void {
  history.replaceState(null, '', location.pathname + location.search);
}

export function isEmbedded(): boolean {
  return window.parent !== window;
}

/** The host origin the panel trusts: ?host=…, or parleyConfig.hostOrigin; '*' when not pinned. */
export function hostOrigin(): string {
  const pinned = new URLSearchParams(location.search).get('host') ?? window.parleyConfig?.hostOrigin;
  if (!pinned) return '*';
  try {
    return new URL(pinned).origin;
  } catch {
    return '*';
  }
}

/** Only well-formed commands pass: the host is another page, its data is not trusted. */
export function parseHostCommand(data: unknown): HostCommand | null {
  if (typeof data !== 'object' || data === null) return null;
  const command = data as Record<string, unknown>;
  const text = (value: unknown, max = 3_000) => typeof value === 'string' && value.length > 0 && value.length <= max;
  switch (command.type) {
    case 'parley:login': return text(command.jid, 3_071) && text(command.token, 16_384) ? { type: 'parley:login', jid: command.jid as string, token: command.token as string } : null;
    case 'parley:open': return text(command.jid, 3_071) ? { type: 'parley:open', jid: command.jid as string } : null;
    case 'parley:watch':
      return Array.isArray(command.jids) && command.jids.length <= 500 && command.jids.every((jid) => text(jid, 3_071))
        ? { type: 'parley:watch', jids: command.jids as string[] } : null;
    case 'parley:theme': return command.theme === 'light' || command.theme === 'dark' || command.theme === 'auto' ? { type: 'parley:theme', theme: command.theme } : null;
    case 'parley:language': return text(command.language, 35) ? { type: 'parley:language', language: command.language as string } : null;
    default: return null;
  }
}

/** The panel's side of the conversation with its host page. */
export class HostBridge {
  private readonly origin = hostOrigin();
  private readonly listener = (event: MessageEvent) => {
    if (event.source !== window.parent || window.parent === window) return;
    if (this.origin !== '*' && event.origin !== this.origin) return;
    const command = parseHostCommand(event.data);
    if (command) this.onCommand(command);
  };

  constructor(private readonly onCommand: (command: HostCommand) => void) {
    window.addEventListener('message', this.listener);
    this.post({ type: 'parley:ready' });
  }

  post(event: PanelEvent): void {
    if (isEmbedded()) window.parent.postMessage(event, this.origin);
  }

  close(): void {
    window.removeEventListener('message', this.listener);
  }
}

/** light/dark as the host asks, or the system's choice ('auto'). */
export function applyTheme(theme: 'light' | 'dark' | 'auto'): void {
  if (theme === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}
