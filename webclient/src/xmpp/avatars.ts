// XEP-0054 vCards and XEP-0153 avatars: a photo is fetched once per hash and cached in storage;
// contacts' names from their vCards; our own vCard read and published. vCards are asked for the
// contacts on screen only (ensureCards), a batch at a time: a large roster costs a few requests.
// A contact's XEP-0084 avatar (pep-avatars.ts) shares the hash space (both are the SHA-1 of the
// image bytes) and, once seen, is what the panel shows for them: presence hashes then only
// matter for contacts without PEP.
import { NS, parseVcard, vcardElement, xml, type VcardInfo } from '@parley/shared';
import type { XmppClient } from './client.ts';
import { Emitter } from './emitter.ts';
import { fromBase64 } from '@parley/shared/sasl/encoding';

export interface ContactCard {
  /** XEP-0153 hash ('' = no photo) */
  hash?: string;
  /** data: URL of the photo */
  photo?: string;
  fullName?: string;
  /** Known from a PEP avatar only: the vCard (for the name) is still to be read. */
  vcardPending?: boolean;
}

/** vCard look-ups of contacts on screen: this many requests go out together. */
const LOOKUP_BATCH = 10;
/** Photos bigger than this (base64 characters) are not cached nor shown. */
const MAX_PHOTO_CHARS = 256 * 1024;

export async function sha1Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export class AvatarService extends Emitter<{ changed: [bare: string, card: ContactCard] }> {
  private readonly cards = new Map<string, ContactCard>();
  /** vCard fetches in progress, by bare JID: one request per contact at a time. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly cardsKey: string;
  private readonly lookupQueue = new Set<string>();
  private lookupsRunning = 0;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** The newest XEP-0153 hash a contact's presence advertised, for contacts not looked up yet. */
  private readonly advertised = new Map<string, string>();
  /** Contacts whose photo comes from their XEP-0084 avatar (seen during this session). */
  private readonly pepOwners = new Set<string>();
  /** Photos seen this session by hash (storage may be off or full). */
  private readonly photos = new Map<string, string>();

  constructor(private readonly client: XmppClient, private readonly storage: Storage | null) {
    super();
    this.cardsKey = `parley.cards.${client.account.bare}`;
    this.loadCards();
  }

  /** These contacts are on screen: look up those never looked up, or whose photo changed since. */
  ensureCards(bares: Iterable<string>): void {
    for (const bare of bares) if (this.stale(bare)) this.lookupQueue.add(bare);
    this.drainLookups();
  }

  private stale(bare: string): boolean {
    const card = this.cards.get(bare);
    if (!card || card.vcardPending) return true;
    if (this.pepOwners.has(bare)) return false;
    const advertised = this.advertised.get(bare);
    return advertised !== undefined && advertised !== card.hash;
  }

  private drainLookups(): void {
    if (this.lookupsRunning > 0 || !this.client.online) return;
    const batch = [...this.lookupQueue].slice(0, LOOKUP_BATCH);
    for (const bare of batch) this.lookupQueue.delete(bare);
    const wanted = batch.filter((bare) => this.stale(bare));
    if (wanted.length === 0) return;
    this.lookupsRunning = wanted.length;
    for (const bare of wanted) {
      void this.fetch(bare, this.advertised.get(bare) || undefined).finally(() => {
        if (--this.lookupsRunning === 0) this.drainLookups();
      });
    }
  }

  card(bare: string): ContactCard {
    return this.cards.get(bare) ?? {};
  }

  /**
   * A presence advertised `hash` for `bare`: a photo known by that hash is shown at once; otherwise
   * the vCard is fetched — now for a contact looked up before, else when next on screen (ensureCards).
   */
  noticeHash(bare: string, hash: string | undefined): void {
    if (hash === undefined || this.pepOwners.has(bare)) return;
    this.advertised.set(bare, hash);
    const card = this.cards.get(bare);
    if (!card) return;
    if (card.hash === hash && (hash === '' || card.photo)) return;
    if (hash === '') return this.update(bare, { ...card, hash: '', photo: undefined });
    const photo = this.photoFor(hash);
    if (photo) return this.update(bare, { ...card, hash, photo });
    // a contact looked up before (so shown before) has a new photo: fetched now, not at the next scroll
    this.lookupQueue.add(bare);
    this.drainLookups();
  }

  /** Read a contact's vCard (ours too) and remember name and photo, also under the hash their presence advertised. */
  fetch(bare: string, advertised?: string): Promise<void> {
    const running = this.inFlight.get(bare);
    if (running) return running;
    const request = this.readVcard(bare).then(async (info) => {
      // No vCard to be had: remember that (initials it is) so the look-up is not repeated.
      if (!info) return this.update(bare, { ...this.cards.get(bare), vcardPending: undefined });
      const card: ContactCard = { fullName: info.fullName ?? info.nickname, hash: '' };
      const current = this.cards.get(bare);
      if (this.pepOwners.has(bare) && current) return this.update(bare, { ...current, fullName: card.fullName, vcardPending: undefined });
      if (info.photo && info.photo.base64.length <= MAX_PHOTO_CHARS) {
        card.hash = await sha1Hex(fromBase64(info.photo.base64));
        card.photo = `data:${safeImageType(info.photo.type)};base64,${info.photo.base64}`;
        this.storePhoto(card.hash, card.photo);
        // A hash computed elsewhere (another encoding of the same image) must not cause a fetch per presence.
        if (advertised && advertised !== card.hash) {
          this.storePhoto(advertised, card.photo);
          card.hash = advertised;
        }
      }
      this.update(bare, card);
    }).finally(() => this.inFlight.delete(bare));
    this.inFlight.set(bare, request);
    return request;
  }

  async readVcard(bare: string): Promise<VcardInfo | null> {
    try {
      const to = bare === this.client.account.bare ? undefined : bare;
      const result = await this.client.iq(xml('iq', { type: 'get', to }, xml('vCard', { xmlns: NS.vcard })));
      const vcard = result.getChild('vCard', NS.vcard);
      return vcard ? parseVcard(vcard) : {};
    } catch {
      return null; // no vCard service or no such account: initials it is
    }
  }

  /** Publish our vCard (XEP-0054 §3.2) and return the new avatar hash for our presence. */
  async publishOwn(info: VcardInfo): Promise<string> {
    await this.client.iq(xml('iq', { type: 'set' }, vcardElement(info)));
    const bare = this.client.account.bare;
    let hash = '';
    let photo: string | undefined;
    if (info.photo) {
      hash = await sha1Hex(fromBase64(info.photo.base64));
      photo = `data:${safeImageType(info.photo.type)};base64,${info.photo.base64}`;
      this.storePhoto(hash, photo);
    }
    this.update(bare, { fullName: info.fullName ?? info.nickname, hash, photo });
    return hash;
  }

  /** A photo known by its hash (fetched before, by vCard or PEP), as a data: URL. */
  knownPhoto(hash: string): string | undefined {
    return this.photos.get(hash) ?? this.photoFor(hash);
  }

  rememberPhoto(hash: string, dataUrl: string): void {
    this.storePhoto(hash, dataUrl);
  }

  /** XEP-0084: `bare`'s avatar is now this one ('' = none); it wins over presence hashes from now on. */
  showPepPhoto(bare: string, hash: string, photo: string | undefined): void {
    this.pepOwners.add(bare);
    this.advertised.delete(bare);
    const card = this.cards.get(bare);
    if (card?.hash === hash && card.photo === photo) return;
    this.update(bare, { ...(card ?? { vcardPending: true }), hash, photo });
  }

  private update(bare: string, card: ContactCard): void {
    this.cards.set(bare, card);
    this.saveCards();
    this.emit('changed', bare, card);
  }

  private photoFor(hash: string): string | undefined {
    try {
      return this.storage?.getItem(`parley.photo.${hash}`) ?? undefined;
    } catch {
      return undefined;
    }
  }

  private storePhoto(hash: string, dataUrl: string): void {
    this.photos.set(hash, dataUrl);
    try {
      this.storage?.setItem(`parley.photo.${hash}`, dataUrl);
    } catch {
      // storage full: the photo stays in memory for this session
    }
  }

  private loadCards(): void {
    try {
      const saved = JSON.parse(this.storage?.getItem(this.cardsKey) ?? '{}') as Record<string, { hash?: string; fullName?: string; vcardPending?: boolean }>;
      for (const [bare, { hash, fullName, vcardPending }] of Object.entries(saved)) {
        const photo = hash ? this.photoFor(hash) : undefined;
        this.cards.set(bare, { hash: photo || hash === '' ? hash : undefined, fullName, photo, vcardPending: vcardPending || undefined });
      }
    } catch {
      // a damaged cache is simply rebuilt
    }
  }

  /** Many cards arrive together: one write of the cache for them. */
  private saveCards(): void {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.writeCards();
    }, 1_000);
  }

  private writeCards(): void {
    const saved: Record<string, { hash?: string; fullName?: string; vcardPending?: boolean }> = {};
    for (const [bare, card] of this.cards) saved[bare] = { hash: card.hash, fullName: card.fullName, vcardPending: card.vcardPending };
    try {
      this.storage?.setItem(this.cardsKey, JSON.stringify(saved));
    } catch {
      // storage full or off
    }
  }
}

/** Only raster image types become data: URLs (an SVG photo could carry script). */
export function safeImageType(type: string): string {
  return /^image\/(png|jpeg|gif|webp)$/i.test(type) ? type.toLowerCase() : 'image/png';
}
