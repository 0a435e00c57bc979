// Parley chat panel for a host page (the suite's webmail): puts the panel in an iframe, signs it
// in with the suite's token, and relays its events. See EMBEDDING.md beside the web client.
//
//   import { embedParley } from 'https://chat.example.com/parley-embed.js';
//   const chat = embedParley({
//     iframe: document.querySelector('#chat'),
//     panelUrl: 'https://chat.example.com/',
//     jid: 'alice@example.com',
//     getToken: () => fetch('/suite/chat-token').then((r) => r.text()),
//     onUnread: (count) => { badge.textContent = count || ''; },
//     onPresence: (jid, availability, status) => { … },
//   });
//   chat.openChat('bob@example.com');
//   chat.watchPresence(['bob@example.com', 'carol@example.com']);
//   chat.setTheme('dark'); chat.setLanguage('fr');

/**
 * @param {{
 *   iframe: HTMLIFrameElement, panelUrl: string, jid: string, getToken: () => string | Promise<string>,
 *   theme?: 'light' | 'dark' | 'auto', language?: string,
 *   onUnread?: (count: number) => void, onStatus?: (status: string) => void,
 *   onPresence?: (jid: string, availability: string, status?: string) => void, onReady?: () => void,
 * }} options
 */
export function embedParley(options) {
  const url = new URL(options.panelUrl, location.href);
  // the panel then talks to this page only
  url.searchParams.set('host', location.origin);
  const panelOrigin = url.origin;
  const iframe = options.iframe;
  let ready = false;
  const waiting = [];
  const post = (message) => iframe.contentWindow?.postMessage(message, panelOrigin);
  const send = (message) => (ready ? post(message) : waiting.push(message));

  async function login() {
    post({ type: 'parley:login', jid: options.jid, token: await options.getToken() });
  }

  const listener = (event) => {
    if (event.source !== iframe.contentWindow || event.origin !== panelOrigin) return;
    const data = event.data ?? {};
    switch (data.type) {
      case 'parley:ready':
        ready = true;
        void login();
        for (const message of waiting.splice(0)) post(message);
        options.onReady?.();
        break;
      case 'parley:unread': options.onUnread?.(Number(data.count) || 0); break;
      case 'parley:status': options.onStatus?.(String(data.status)); break;
      case 'parley:presence': options.onPresence?.(String(data.jid), String(data.availability), data.status); break;
    }
  };
  window.addEventListener('message', listener);
  if (options.theme) send({ type: 'parley:theme', theme: options.theme });
  if (options.language) send({ type: 'parley:language', language: options.language });
  iframe.src = url.href;

  return {
    /** Show the conversation with this address (a contact card's "Chat" button). */
    openChat: (jid) => send({ type: 'parley:open', jid }),
    /** Report the presence of these addresses through onPresence, now and when it changes. */
    watchPresence: (jids) => send({ type: 'parley:watch', jids: [...jids] }),
    setTheme: (theme) => send({ type: 'parley:theme', theme }),
    setLanguage: (language) => send({ type: 'parley:language', language }),
    /** A fresh token for the next reconnection (tokens expire): call when the suite renews it. */
    refreshToken: () => (ready ? login() : undefined),
    destroy: () => {
      window.removeEventListener('message', listener);
      iframe.src = 'about:blank';
    },
  };
}
