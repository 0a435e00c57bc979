// Minimal bare-JID splitting for the account table. Input is already
// normalized (RFC 7622 §3); a localpart cannot contain '@' (RFC 7622 §3.3.1),
// so the first '@' separates localpart from domainpart.

export function splitBareJid(jid: string): { username: string; domain: string } {
  const at = jid.indexOf('@');
  if (at <= 0 || at === jid.length - 1 || jid.includes('/')) {
    throw new TypeError(`not a bare JID with a localpart: ${jid}`);
  }
  return { username: jid.slice(0, at), domain: jid.slice(at + 1) };
}
