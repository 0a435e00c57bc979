// What a conversation missed while the panel had no session: after a session that started afresh
// (not resumed, XEP-0198), the archive (XEP-0313: our own, or a room's) has what the old session
// never got. Each conversation pages forward from the newest archived message it showed before the
// new session delivered anything, so that nothing newer that arrives meanwhile becomes the cursor.
import type { ChatMessage } from '../xmpp/chat.ts';
import type { ArchiveService, ArchiveSource } from '../xmpp/archive.ts';
import type { Conversations } from './conversations.svelte.ts';

/** Missed messages a conversation catches up on at most (a longer gap: it starts again from the newest). */
export const CATCH_UP_LIMIT = 2_000;

/** A message shown with its id in the archive it came from. */
export type ArchivedMessage = ChatMessage & { archiveId: string };

/** Each conversation's newest archived message shown (take it before the new session delivers anything). */
export function newestArchived(conversations: Conversations): Map<string, ArchivedMessage> {
  const newest = new Map<string, ArchivedMessage>();
  for (const conversation of Object.values(conversations.byPeer)) {
    const message = conversation.messages.findLast((m): m is ArchivedMessage => m.archiveId !== undefined);
    if (message) newest.set(conversation.peer, message);
  }
  return newest;
}

/**
 * Merges what the archive has after `newest` into the conversation; false when the gap is longer
 * than CATCH_UP_LIMIT, the conversation then cleared (load its newest page again).
 */
export async function catchUpFromArchive(conversations: Conversations, archive: ArchiveService, peer: string,
  newest: ArchivedMessage, source?: ArchiveSource): Promise<boolean> {
  const { messages, complete } = await archive.after(peer, newest.archiveId, CATCH_UP_LIMIT, source);
  if (!complete) {
    conversations.clearMessages(peer);
    return false;
  }
  conversations.addMissed(peer, newest, messages);
  return true;
}
