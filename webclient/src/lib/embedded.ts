// Embedded mode: the webmail hands the panel a sign-in token, in the URL fragment
// (#token=…&jid=…) or by postMessage({ type: 'parley:login', jid, token }) from the parent page.
export interface EmbeddedLogin {
  jid: string;
  token: string;
}

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

/** Listen for tokens from the parent page only; tells the parent the panel is ready for one. */
export function listenForLogin(onLogin: (login: EmbeddedLogin) => void): () => void {
  const listener = (event: MessageEvent) => {
    if (event.source !== window.parent || window.parent === window) return;
    const data = event.data as Partial<EmbeddedLogin & { type: string }> | null;
    if (data?.type !== 'parley:login' || typeof data.token !== 'string' || typeof data.jid !== 'string') return;
    onLogin({ jid: data.jid, token: data.token });
  };
  window.addEventListener('message', listener);
  if (isEmbedded()) window.parent.postMessage({ type: 'parley:ready' }, '*');
  return () => window.removeEventListener('message', listener);
}
