// XEP-0191 blocking command: our block list (fetched once per session, which also subscribes this
// resource to its pushes, §3.2), blocking and unblocking, with a XEP-0377 spam report when asked.
import { NS, StanzaError, tryParseJid, xml, type Element } from '@parley/shared';
import type { XmppClient } from './client.ts';
import { Emitter } from './emitter.ts';

interface BlockingEvents {
  /** The whole list, sorted, whenever it changed (here or on another device). */
  changed: [jids: string[]];
}

export class BlockingService extends Emitter<BlockingEvents> {
  private list = new Set<string>();

  constructor(private readonly client: XmppClient) {
    super();
    // §3.3, §3.4: the server pushes changes made by any of our resources
    client.handleIq('set', NS.blocking, (iq) => this.pushed(iq));
  }

  get blocked(): string[] {
    return [...this.list].sort();
  }

  async fetch(): Promise<void> {
    const result = await this.client.iq(xml('iq', { type: 'get' }, xml('blocklist', { xmlns: NS.blocking })));
    this.list = new Set(items(result.getChild('blocklist', NS.blocking)));
    this.emit('changed', this.blocked);
  }

  /** Block `jid`; `spam` adds a XEP-0377 report (the server logs it for its admin). */
  async block(jid: string, spam = false): Promise<void> {
    const report = spam ? xml('report', { xmlns: NS.reporting, reason: 'urn:xmpp:reporting:spam' }) : null;
    await this.client.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: NS.blocking }, xml('item', { jid }, report))));
    this.apply('block', [jid]);
  }

  async unblock(jid: string): Promise<void> {
    await this.client.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: NS.blocking }, xml('item', { jid }))));
    this.apply('unblock', [jid]);
  }

  private pushed(iq: Element): null {
    // a push comes from our own account (no 'from', or our bare JID); anyone else is lying
    const from = iq.attrs.from ? tryParseJid(iq.attrs.from) : null;
    if (iq.attrs.from && from?.full !== this.client.account.bare) throw new StanzaError('not-allowed');
    const block = iq.getChild('block', NS.blocking);
    const unblock = iq.getChild('unblock', NS.blocking);
    if (block) this.apply('block', items(block));
    else if (unblock) this.apply('unblock', items(unblock));
    else throw new StanzaError('bad-request');
    return null;
  }

  private apply(change: 'block' | 'unblock', jids: string[]): void {
    if (change === 'block') for (const jid of jids) this.list.add(jid);
    else if (jids.length === 0) this.list.clear(); // §3.4: an empty <unblock/> unblocks everyone
    else for (const jid of jids) this.list.delete(jid);
    this.emit('changed', this.blocked);
  }
}

function items(parent: Element | undefined): string[] {
  return (parent?.getChildren('item') ?? []).map((item) => item.attrs.jid).filter((jid): jid is string => Boolean(jid));
}
