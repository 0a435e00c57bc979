// Where rooms persist (XEP-0045 §10.1.3 persistent rooms, §10.5–§10.7 affiliation lists): the
// configuration, the subject and every affiliation of a persistent room, in the state storage so
// that a restart, or another node, finds them. Occupants are presence and are never stored.
import type { Affiliation } from './affiliations.ts';
import type { RoomConfig } from './room-config.ts';

export interface AffiliationRecord {
  affiliation: Exclude<Affiliation, 'none'>;
  /** XEP-0045 §7.10 registered (reserved) nickname. */
  nick?: string;
  reason?: string;
  /** The membership comes from this directory group (rooms for the suite's groups): it goes with the group's. */
  group?: string;
}

export interface StoredRoom {
  config: RoomConfig;
  subject: { text: string; nick: string } | null;
  created: number;
  /** Bare JID → affiliation (users with 'none' are absent). */
  affiliations: Record<string, AffiliationRecord>;
  /** Directory group this room belongs to (rooms for the suite's groups), if any. */
  group?: string;
  /** XEP-0486: the hex SHA-1 of the room's vCard photo ('' or absent: none). The vCard is stored apart. */
  avatarHash?: string;
}

export interface RoomStore {
  get(room: string): Promise<StoredRoom | undefined>;
  put(room: string, value: StoredRoom): Promise<void>;
  delete(room: string): Promise<void>;
  /** Every stored room of a service (bare room JIDs). */
  list(service: string): Promise<Array<{ room: string; value: StoredRoom }>>;
  /** Rooms a user owns, for the rooms-per-user limit. */
  ownedBy(user: string): Promise<number>;
  /** The room of a directory group (bare room JID), if it has one. */
  groupRoom(group: string): Promise<string | undefined>;
  setGroupRoom(group: string, room: string | null): Promise<void>;
  /** XEP-0486: the room's vCard (serialized vcard-temp XML), if it has one. */
  vcard(room: string): Promise<string | undefined>;
  setVcard(room: string, vcard: string | null): Promise<void>;
}
