// RoomStore over the state storage's named key-value stores (storage/types.ts KeyValueStore), so
// that every backend of the state storage (SQLite now, PostgreSQL in the cluster) keeps rooms:
// 'muc.rooms' holds each room under its service (owner) and room name (key); 'muc.owned' indexes
// the rooms each user owns (an account's entries go with it); 'muc.groups' names each directory
// group's room. A room and its index change in one transaction.
import type { KeyValueStore, Storage } from '../../storage/index.ts';
import type { RoomStore, StoredRoom } from './store.ts';

const ROOMS = 'muc.rooms';
const OWNED = 'muc.owned';
const GROUPS = 'muc.groups';
const VCARDS = 'muc.vcards';
/** The owner of the group → room entries. */
const GROUP_OWNER = 'groups';

function split(room: string): { service: string; name: string } {
  const at = room.indexOf('@');
  return { service: room.slice(at + 1), name: room.slice(0, at) };
}

function owners(value: StoredRoom | undefined): string[] {
  if (!value) return [];
  return Object.entries(value.affiliations).filter(([, record]) => record.affiliation === 'owner').map(([jid]) => jid);
}

export class KeyValueRoomStore implements RoomStore {
  private readonly rooms: KeyValueStore<StoredRoom>;
  private readonly owned: KeyValueStore<true>;
  private readonly groups: KeyValueStore<string>;
  private readonly vcards: KeyValueStore<string>;

  constructor(private readonly storage: Storage) {
    this.rooms = storage.keyValue.open<StoredRoom>(ROOMS);
    this.owned = storage.keyValue.open<true>(OWNED);
    this.groups = storage.keyValue.open<string>(GROUPS);
    this.vcards = storage.keyValue.open<string>(VCARDS);
  }

  vcard(room: string): Promise<string | undefined> {
    const { service, name } = split(room);
    return this.vcards.get(service, name);
  }

  async setVcard(room: string, vcard: string | null): Promise<void> {
    const { service, name } = split(room);
    if (vcard === null) await this.vcards.delete(service, name);
    else await this.vcards.set(service, name, vcard);
  }

  groupRoom(group: string): Promise<string | undefined> {
    return this.groups.get(GROUP_OWNER, group);
  }

  async setGroupRoom(group: string, room: string | null): Promise<void> {
    if (room === null) await this.groups.delete(GROUP_OWNER, group);
    else await this.groups.set(GROUP_OWNER, group, room);
  }

  get(room: string): Promise<StoredRoom | undefined> {
    const { service, name } = split(room);
    return this.rooms.get(service, name);
  }

  put(room: string, value: StoredRoom): Promise<void> {
    const { service, name } = split(room);
    return this.storage.transaction(async (tx) => {
      const rooms = tx.keyValue.open<StoredRoom>(ROOMS);
      const owned = tx.keyValue.open<true>(OWNED);
      const before = new Set(owners(await rooms.get(service, name)));
      const after = new Set(owners(value));
      for (const jid of before) if (!after.has(jid)) await owned.delete(jid, room);
      for (const jid of after) if (!before.has(jid)) await owned.set(jid, room, true);
      await rooms.set(service, name, value);
    });
  }

  delete(room: string): Promise<void> {
    const { service, name } = split(room);
    return this.storage.transaction(async (tx) => {
      const rooms = tx.keyValue.open<StoredRoom>(ROOMS);
      const owned = tx.keyValue.open<true>(OWNED);
      for (const jid of owners(await rooms.get(service, name))) await owned.delete(jid, room);
      await rooms.delete(service, name);
      await tx.keyValue.open<string>(VCARDS).delete(service, name);
    });
  }

  async list(service: string): Promise<Array<{ room: string; value: StoredRoom }>> {
    return (await this.rooms.list(service)).map(({ key, value }) => ({ room: `${key}@${service}`, value }));
  }

  async ownedBy(user: string): Promise<number> {
    return (await this.owned.list(user)).length;
  }
}
