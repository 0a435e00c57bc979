// Rooms for the suite's directory groups (issue 13, beyond XEP-0045): an admin gives a group a room
// (CLI `parley group room`, admin API PUT /admin/api/groups/:group/room, the suite bus' group.room);
// the room is persistent and members-only, the group's members are its members, and they follow
// the group live: a user added to the group becomes a member, a removed one loses the membership
// and leaves the room (status 321, XEP-0045 §9.4). Members added by hand are left alone. A member
// the group gives is offered the room as a XEP-0402 bookmark with autojoin (bookmark-offered, kept by
// PEP), so that the member's clients — the panel's Rooms list — show it and enter it.
import { tryParseJid, type Bookmark } from '@parley/shared';
import type { Directory } from '../../directory/types.ts';
import type { Logger } from '../../logger.ts';
import { Status } from './occupants.ts';
import type { Room } from './room.ts';
import type { MucService } from './service.ts';
import type { RoomStore } from './store.ts';

export class GroupRooms {
  constructor(
    private readonly store: RoomStore,
    private readonly directory: Directory,
    private readonly serviceFor: (name: string) => MucService | undefined,
    private readonly log: Logger,
    private readonly offerBookmark: (jid: string, bookmark: Bookmark) => void = () => {},
  ) {}

  /** group.room: the group gets `room` (or, with null, no room any more). */
  async assign(group: string, roomText: string | null): Promise<void> {
    const previous = await this.store.groupRoom(group);
    if (previous && previous !== roomText) {
      await this.withRoom(previous, (room) => this.sync(room, group, new Set()));
      await this.withRoom(previous, (room) => {
        room.group = undefined;
        void room.save();
      });
    }
    if (roomText === null) {
      await this.store.setGroupRoom(group, null);
      return;
    }
    const jid = tryParseJid(roomText);
    const service = jid ? this.serviceFor(jid.domain) : undefined;
    if (!jid || !service) {
      this.log.warn({ group, room: roomText }, 'group room: not a room of a MUC service served here');
      return;
    }
    await this.store.setGroupRoom(group, jid.bare);
    const room = await service.roomForGroup(jid.local, group);
    room.group = group;
    this.sync(room, group, await this.members(group));
    await room.save();
    service.releaseIfEmpty(room);
  }

  /** group.changed: the group's members now. */
  async changed(group: string): Promise<void> {
    const room = await this.store.groupRoom(group);
    if (!room) return;
    const members = await this.members(group);
    await this.withRoom(room, (loaded) => this.sync(loaded, group, members));
  }

  private async members(group: string): Promise<Set<string>> {
    return new Set((await this.directory.groups.get(group))?.members ?? []);
  }

  private async withRoom(bare: string, work: (room: Room) => void | Promise<void>): Promise<void> {
    const jid = tryParseJid(bare);
    const service = jid ? this.serviceFor(jid.domain) : undefined;
    if (!jid || !service) return;
    const room = await service.existingRoom(jid.local);
    if (!room) return;
    await work(room);
    service.releaseIfEmpty(room);
  }

  /** Members of the group become members; members the group gave and no longer has lose it and leave. */
  private sync(room: Room, group: string, members: Set<string>): void {
    let changed = false;
    for (const jid of members) {
      const record = room.affiliations.get(jid);
      if (record) continue; // owners, admins, members by hand and outcasts keep what they have
      room.affiliations.set(jid, { affiliation: 'member', group });
      changed = true;
      this.offerBookmark(jid, { jid: room.jid.bare, name: room.config.name || group, autojoin: true });
      for (const occupant of room.occupantsOf(jid)) room.broadcastPresence(occupant, undefined, [], []);
    }
    for (const [jid, record] of [...room.affiliations]) {
      if (record.group !== group || members.has(jid)) continue;
      room.affiliations.delete(jid);
      changed = true;
      for (const occupant of room.occupantsOf(jid)) room.expel(occupant, [Status.affiliationRemoved], { affiliation: 'none' });
    }
    if (changed) void room.save();
  }
}

