// RFC 6121 §4.7 presence as a client shows it: availability, show, status, priority, avatar hash.
import { xml, type Element } from './xml.ts';
import { avatarUpdateElement, parseAvatarHash } from './vcard.ts';

export type Show = 'chat' | 'away' | 'xa' | 'dnd';
export type Availability = 'available' | 'away' | 'xa' | 'dnd' | 'offline';

export interface PresenceInfo {
  availability: Availability;
  status?: string;
  priority: number;
  /** XEP-0153 hash; '' = no photo; undefined = not said */
  avatarHash?: string;
}

const SHOWS: readonly string[] = ['chat', 'away', 'xa', 'dnd'];

/** Read an available or unavailable presence (other types are subscriptions or errors: undefined). */
export function parsePresenceInfo(presence: Element): PresenceInfo | undefined {
  const type = presence.attrs.type;
  if (type && type !== 'unavailable') return undefined;
  const show = presence.getChildText('show')?.trim();
  const priority = Number.parseInt(presence.getChildText('priority') ?? '0', 10);
  let availability: Availability = 'available';
  if (type === 'unavailable') availability = 'offline';
  else if (show && SHOWS.includes(show) && show !== 'chat') availability = show as Availability;
  return {
    availability,
    status: presence.getChildText('status')?.trim() || undefined,
    priority: Number.isFinite(priority) ? Math.max(-128, Math.min(127, priority)) : 0,
    avatarHash: parseAvatarHash(presence),
  };
}

/** An own available presence (RFC 6121 §4.2) with XEP-0153's update element. */
export function availablePresence(options: { show?: Exclude<Availability, 'available' | 'offline'>; status?: string; priority?: number; avatarHash?: string }): Element {
  return xml('presence', null,
    options.show ? xml('show', null, options.show) : null,
    options.status ? xml('status', null, options.status) : null,
    options.priority ? xml('priority', null, String(options.priority)) : null,
    avatarUpdateElement(options.avatarHash));
}
