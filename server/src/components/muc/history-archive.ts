// A persistent room loaded again (after a restart, or after it emptied) gets its discussion history
// (XEP-0045 §7.2.15) back from its archive: the newest muc#maxhistoryfetch messages.
import { NS, parseStanza, xml } from '@parley/shared';
import { timeOfSeq } from '../../archive/ids.ts';
import type { Room } from './room.ts';
import { RETRACT } from './room-info.ts';

export async function reloadHistory(room: Room): Promise<void> {
  const archive = room.services.archive;
  const limit = Math.min(room.config.historyLength, room.services.options.maxHistory);
  if (!archive || !room.config.enableLogging || limit === 0) return;
  try {
    const page = await archive.store.page({ owner: room.jid.bare }, { direction: 'backward', limit });
    const messages = page.entries.reverse().map((entry) => ({ entry, message: parseStanza(entry.stanza) }));
    // XEP-0425: a message a moderator retracted is not history (the retraction is)
    const retracted = new Set(messages.map(({ message }) => message?.getChild('retract', RETRACT)?.attrs.id).filter(Boolean));
    for (const { entry, message } of messages) {
      if (!message || message.getChild('body') === undefined || retracted.has(entry.id)) continue;
      message.children.push(xml('stanza-id', { xmlns: NS.stanzaIds, id: entry.id, by: room.jid.bare }));
      room.history.add({ message, stamp: timeOfSeq(entry.seq), stanzaId: entry.id, size: entry.stanza.length });
    }
  } catch (error) {
    room.log.warn({ err: error, room: room.jid.bare }, 'the room history could not be read from its archive');
  }
}
