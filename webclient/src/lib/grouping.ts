// Messages shown in groups: a day separator when the day changes, consecutive messages of one
// sender within a few minutes share one header (in a room, the sender is the nickname).
import { dayKey, dayLabel } from './format.ts';

export interface Groupable {
  id: string;
  direction: 'in' | 'out';
  time: Date;
  nick?: string;
}

export type MessageRow<M extends Groupable> =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'group'; key: string; direction: 'in' | 'out'; messages: M[] };

const GROUP_GAP_MS = 5 * 60_000;
/** A long run of one sender's messages is cut into rows of this many (the rows of a virtual list). */
const MAX_GROUP = 10;

export function groupMessages<M extends Groupable>(messages: readonly M[], now = new Date()): MessageRow<M>[] {
  const rows: MessageRow<M>[] = [];
  let day = '';
  let group: Extract<MessageRow<M>, { kind: 'group' }> | null = null;
  let lastTime = 0;
  for (const message of messages) {
    const key = dayKey(message.time);
    if (key !== day) {
      day = key;
      rows.push({ kind: 'day', key: `day-${key}-${message.id}`, label: dayLabel(message.time, now) });
      group = null;
    }
    const time = message.time.getTime();
    if (!group || group.direction !== message.direction || group.messages[0]!.nick !== message.nick || time - lastTime > GROUP_GAP_MS || group.messages.length >= MAX_GROUP) {
      group = { kind: 'group', key: `group-${message.id}`, direction: message.direction, messages: [] };
      rows.push(group);
    }
    group.messages.push(message);
    lastTime = time;
  }
  return rows;
}
