// XEP-0430 inbox, asked once per session: the conversations with their unread counts and last
// messages as the server keeps them from the archive, the same on every device.
import { tryParseJid, xml, type Element } from '@parley/shared';
import { parseMamResult } from '@parley/shared/mam';
import { archivedMessage } from './archive.ts';
import type { ChatMessage } from './chat.ts';
import type { XmppClient } from './client.ts';
import { randomId } from './ids.ts';

export const NS_INBOX = 'urn:xmpp:inbox:1';

export interface InboxEntry {
  peer: string;
  unread: number;
  last?: ChatMessage;
}

export class InboxService {
  constructor(private readonly client: XmppClient) {}

  /** The newest conversations; an empty list from a server without an inbox. */
  async fetch(max = 50): Promise<InboxEntry[]> {
    const id = randomId(6);
    const entries: InboxEntry[] = [];
    const collect = (message: Element) => {
      if (message.attrs.from && message.attrs.from !== this.client.account.bare) return;
      const entry = message.getChild('entry', NS_INBOX);
      const peer = tryParseJid(entry?.attrs.jid)?.bare;
      if (!entry || !peer) return;
      const result = parseMamResult(message);
      const last = result ? archivedMessage(result, this.client.account) : undefined;
      entries.push({ peer, unread: Math.max(0, Math.floor(Number(entry.attrs.unread) || 0)), last: last && !last.action ? last : undefined });
    };
    const unsubscribe = this.client.on('message', collect);
    try {
      await this.client.iq(xml('iq', { type: 'get', id },
        xml('inbox', { xmlns: NS_INBOX }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', null, String(max))))));
      return entries;
    } catch {
      return [];
    } finally {
      unsubscribe();
    }
  }
}
