// A RoomStore in memory (one process; rooms do not survive a restart): until the state storage's
// key-value stores reach this branch (kv-store.ts is the one the server uses then).
import type { RoomStore, StoredRoom } from './store.ts';

export class MemoryRoomStore implements RoomStore {
  private readonly rooms = new Map<string, string>();
  private readonly groups = new Map<string, string>();

  async groupRoom(group: string): Promise<string | undefined> {
    return this.groups.get(group);
  }

  async setGroupRoom(group: string, room: string | null): Promise<void> {
    if (room === null) this.groups.delete(group);
    else this.groups.set(group, room);
  }

  async get(room: string): Promise<StoredRoom | undefined> {
    const text = this.rooms.get(room);
    return text === undefined ? undefined : (JSON.parse(text) as StoredRoom);
  }

  async put(room: string, value: StoredRoom): Promise<void> {
    this.rooms.set(room, JSON.stringify(value));
  }

  async delete(room: string): Promise<void> {
    this.rooms.delete(room);
  }

  async list(service: string): Promise<Array<{ room: string; value: StoredRoom }>> {
    return [...this.rooms].filter(([room]) => room.endsWith(`@${service}`)).map(([room, text]) => ({ room, value: JSON.parse(text) as StoredRoom }));
  }

  async ownedBy(user: string): Promise<number> {
    let count = 0;
    for (const text of this.rooms.values()) if ((JSON.parse(text) as StoredRoom).affiliations[user]?.affiliation === 'owner') count++;
    return count;
  }
}
