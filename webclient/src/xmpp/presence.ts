// RFC 6121 §3–4: contacts' presence per resource (shown as the best one), subscription requests,
// and our own presence with its XEP-0153 avatar hash and XEP-0115 caps.
import { append, availablePresence, parsePresenceInfo, tryParseJid, xml, type Availability, type Element, type PresenceInfo } from '@parley/shared';
import type { XmppClient } from './client.ts';
import { Emitter } from './emitter.ts';
import { MUC, MUC_USER } from './muc-stanzas.ts';

export interface ContactPresence {
  availability: Availability;
  status?: string;
  /** XEP-0153 hash from the shown resource ('' = no photo; undefined = not said) */
  avatarHash?: string;
}

export interface OwnPresence {
  availability: Exclude<Availability, 'offline'>;
  status: string;
}

interface PresenceEvents {
  changed: [bare: string, presence: ContactPresence];
  /** Someone asks to see our presence (RFC 6121 §3.1.2). */
  subscriptionRequest: [bare: string];
  /** Our presence went out: a new session, or the user changed it. */
  ownSent: [OwnPresence];
}

/** Which resource to show when several are online: the most reachable one wins at equal priority. */
const RANK: Record<Availability, number> = { available: 4, dnd: 3, away: 2, xa: 1, offline: 0 };

export class PresenceService extends Emitter<PresenceEvents> {
  private readonly resources = new Map<string, Map<string, PresenceInfo>>();
  own: OwnPresence = { availability: 'available', status: '' };
  /** Our own avatar hash, sent in every presence (undefined until our vCard is known). */
  ownAvatarHash: string | undefined;
  /** Our XEP-0115 <c/> (caps.ts), sent in every presence once known. */
  caps: (() => Element) | null = null;

  constructor(private readonly client: XmppClient) {
    super();
    client.on('presence', (presence) => this.receive(presence));
    // While the server keeps our session for resumption (XEP-0198 §5), what we knew stays true.
    client.on('status', (status) => {
      if (status !== 'online' && !client.mayResume) this.forgetAll();
    });
    client.on('online', (session) => {
      if (!session.resumed) this.forgetAll();
    });
  }

  /** Send our presence: on a new session (after the roster, RFC 6121 §2.2) and whenever it changes. */
  sendOwn(own: OwnPresence = this.own): void {
    this.own = own;
    const show = own.availability === 'available' ? undefined : own.availability;
    const presence = availablePresence({ show, status: own.status || undefined, avatarHash: this.ownAvatarHash });
    if (this.caps) append(presence, this.caps());
    this.client.send(presence);
    this.emit('ownSent', own);
  }

  setAvatarHash(hash: string): void {
    if (this.ownAvatarHash === hash) return;
    this.ownAvatarHash = hash;
    if (this.client.online) this.sendOwn();
  }

  /** Accept a request; ask back when we do not see their presence yet (mutual subscription). */
  approve(bare: string, alsoSubscribe: boolean): void {
    this.client.send(xml('presence', { to: bare, type: 'subscribed' }));
    if (alsoSubscribe) this.client.send(xml('presence', { to: bare, type: 'subscribe' }));
  }

  deny(bare: string): void {
    this.client.send(xml('presence', { to: bare, type: 'unsubscribed' }));
  }

  presenceOf(bare: string): ContactPresence {
    return this.best(bare);
  }

  private receive(presence: Element): void {
    const from = tryParseJid(presence.attrs.from);
    if (!from) return;
    const type = presence.attrs.type;
    if (type === 'subscribe') return this.emit('subscriptionRequest', from.bare);
    if (type === 'error') {
      if (presence.getChild('x', MUC)) return; // a room refused us (muc.ts)
      // The contact's server could not be reached: show them offline rather than stale.
      this.resources.delete(from.bare);
      this.emit('changed', from.bare, this.best(from.bare));
      return;
    }
    const info = parsePresenceInfo(presence);
    // a room's presence is about its occupants, not a contact (muc.ts)
    if (!info || from.bare === this.client.account.bare || presence.getChild('x', MUC_USER)) return;
    let resources = this.resources.get(from.bare);
    if (info.availability === 'offline') {
      resources?.delete(from.resource);
      if (resources?.size === 0) this.resources.delete(from.bare);
    } else {
      if (!resources) this.resources.set(from.bare, (resources = new Map()));
      resources.set(from.resource, info);
    }
    this.emit('changed', from.bare, this.best(from.bare, info.avatarHash));
  }

  private best(bare: string, lastHash?: string): ContactPresence {
    let best: PresenceInfo | undefined;
    for (const info of this.resources.get(bare)?.values() ?? []) {
      if (!best || info.priority > best.priority || (info.priority === best.priority && RANK[info.availability] > RANK[best.availability])) best = info;
    }
    if (!best) return { availability: 'offline', avatarHash: lastHash };
    return { availability: best.availability, status: best.status, avatarHash: best.avatarHash ?? lastHash };
  }

  private forgetAll(): void {
    const known = [...this.resources.keys()];
    this.resources.clear();
    for (const bare of known) this.emit('changed', bare, { availability: 'offline' });
  }
}
