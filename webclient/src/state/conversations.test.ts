// Conversation state: dedupe, time order for delayed messages, unread counts, receipts, typing,
// archived history merged with live messages.
import { describe, expect, it } from 'vitest';
import { Conversations } from './conversations.svelte.ts';
import type { ChatMessage } from '../xmpp/chat.ts';

const message = (id: string, direction: 'in' | 'out', time: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id, peer: 'bob@example.com', direction, body: `message ${id}`, time: new Date(time), delayed: false, refs: [id], ...extra,
});

describe('Conversations', () => {
  it('keeps one copy of a message seen twice (reconnection)', () => {
    const conversations = new Conversations();
    expect(conversations.add(message('a', 'in', '2024-05-01T10:00:00Z'), false)).toBe(true);
    expect(conversations.add(message('a', 'in', '2024-05-01T10:00:00Z'), false)).toBe(false);
    expect(conversations.byPeer['bob@example.com']!.messages).toHaveLength(1);
    expect(conversations.totalUnread).toBe(1);
  });

  it('puts a delayed (offline) message at its original time', () => {
    const conversations = new Conversations();
    conversations.add(message('new', 'in', '2024-05-01T10:00:00Z'), true);
    conversations.add(message('old', 'in', '2024-05-01T08:00:00Z', { delayed: true }), true);
    expect(conversations.byPeer['bob@example.com']!.messages.map((m) => m.id)).toEqual(['old', 'new']);
  });

  it('counts unread until read, and marks receipts', () => {
    const conversations = new Conversations();
    conversations.add(message('x', 'out', '2024-05-01T10:00:00Z', { delivery: 'sent' }), true);
    conversations.add(message('y', 'in', '2024-05-01T10:01:00Z'), false);
    conversations.add(message('z', 'in', '2024-05-01T10:02:00Z'), false);
    expect(conversations.totalUnread).toBe(2);
    conversations.markRead('bob@example.com');
    expect(conversations.totalUnread).toBe(0);
    conversations.setDelivery('bob@example.com', 'x', 'delivered');
    conversations.setDelivery('bob@example.com', 'x', 'sent'); // a late outbox flush does not undo it
    expect(conversations.byPeer['bob@example.com']!.messages[0]!.delivery).toBe('delivered');
  });

  it('shows typing until a message arrives', () => {
    const conversations = new Conversations();
    conversations.open('bob@example.com');
    conversations.setChatState('bob@example.com', 'composing');
    expect(conversations.byPeer['bob@example.com']!.typing).toBe(true);
    conversations.add(message('m', 'in', '2024-05-01T10:00:00Z'), true);
    expect(conversations.byPeer['bob@example.com']!.typing).toBe(false);
  });

  it('merges archived pages with live messages: one copy each, never unread, the cursor moving back', () => {
    const conversations = new Conversations();
    conversations.add(message('bob@example.com A3', 'in', '2024-05-01T10:03:00Z', { archiveId: 'A3' }), false);
    conversations.add(message('o-4', 'out', '2024-05-01T10:04:00Z'), true);
    const newest = [
      message('bob@example.com A2', 'in', '2024-05-01T10:02:00Z', { archiveId: 'A2' }),
      message('bob@example.com A3', 'in', '2024-05-01T10:03:00Z', { archiveId: 'A3' }),
      message('o-4', 'out', '2024-05-01T10:04:00Z', { archiveId: 'A4' }),
    ];
    expect(conversations.addHistory('bob@example.com', { messages: newest, complete: false, cursor: 'A2' }, false)).toBe(1);
    const conversation = conversations.byPeer['bob@example.com']!;
    expect(conversation.messages.map((m) => m.id)).toEqual(['bob@example.com A2', 'bob@example.com A3', 'o-4']);
    expect(conversation.messages[2]!.archiveId).toBe('A4'); // learnt from the archive
    expect(conversation.history).toMatchObject({ loaded: true, complete: false, cursor: 'A2' });
    expect(conversations.totalUnread).toBe(1);

    conversations.addHistory('bob@example.com', { messages: [message('bob@example.com A1', 'in', '2024-05-01T10:01:00Z', { archiveId: 'A1' })], complete: true, cursor: 'A1' }, true);
    expect(conversation.messages.map((m) => m.archiveId)).toEqual(['A1', 'A2', 'A3', 'A4']);
    expect(conversation.history).toMatchObject({ complete: true, cursor: 'A1' });

    // A later newest page (after a reconnection) does not move the cursor forward again.
    conversations.addHistory('bob@example.com', { messages: [message('bob@example.com A5', 'in', '2024-05-01T10:05:00Z', { archiveId: 'A5' })], complete: false, cursor: 'A5' }, false);
    expect(conversation.history).toMatchObject({ complete: true, cursor: 'A1' });
  });

  it('keeps the archive order of messages archived in the same millisecond', () => {
    const conversations = new Conversations();
    const at = '2024-05-01T10:00:00.000Z';
    const page = (ids: string[]) => ids.map((id) => message(id, 'in', at, { archiveId: id }));
    conversations.addHistory('bob@example.com', { messages: page(['A3', 'A4']), complete: false, cursor: 'A3' }, false);
    conversations.addHistory('bob@example.com', { messages: page(['A1', 'A2']), complete: true, cursor: 'A1' }, true);
    conversations.add(message('A5', 'in', at), true);
    expect(conversations.byPeer['bob@example.com']!.messages.map((m) => m.id)).toEqual(['A1', 'A2', 'A3', 'A4', 'A5']);
  });

  it('merges what was missed after the newest archived message, after it even when its live time is later', () => {
    const conversations = new Conversations();
    // shown live: its time is when it arrived, a little after the archive's stamps of what followed
    conversations.add(message('bob@example.com A1', 'in', '2024-05-01T10:00:00.000Z', { archiveId: 'A1' }), true);
    conversations.add(message('bob@example.com A2', 'in', '2024-05-01T10:00:00.050Z', { archiveId: 'A2' }), true);
    const newest = conversations.byPeer['bob@example.com']!.messages[1]!;
    const missed = ['A3', 'A4', 'A5'].map((id, i) => message(`bob@example.com ${id}`, 'in', `2024-05-01T10:00:00.0${1 + i}0Z`, { archiveId: id }));
    expect(conversations.addMissed('bob@example.com', newest, missed)).toBe(3);
    const conversation = conversations.byPeer['bob@example.com']!;
    expect(conversation.messages.map((m) => m.archiveId)).toEqual(['A1', 'A2', 'A3', 'A4', 'A5']);
    expect(conversations.totalUnread).toBe(0);
    // their offline copies, later: once each
    expect(conversations.add(message('bob@example.com A4', 'in', '2024-05-01T10:00:00.020Z', { archiveId: 'A4', delayed: true }), false)).toBe(false);
    expect(conversation.messages).toHaveLength(5);
  });

  it('forgets the messages shown when a gap is too long to fill, and loads history afresh', () => {
    const conversations = new Conversations();
    conversations.addHistory('bob@example.com', { messages: [message('bob@example.com A1', 'in', '2024-05-01T10:00:00Z', { archiveId: 'A1' })], complete: true, cursor: 'A1' }, false);
    conversations.clearMessages('bob@example.com');
    const conversation = conversations.byPeer['bob@example.com']!;
    expect(conversation.messages).toEqual([]);
    expect(conversation.history).toMatchObject({ loaded: false, complete: false });
    // the same message from the newest page is shown again (nothing remembered it as shown)
    expect(conversations.addHistory('bob@example.com', { messages: [message('bob@example.com A1', 'in', '2024-05-01T10:00:00Z', { archiveId: 'A1' })], complete: true, cursor: 'A1' }, false)).toBe(1);
  });
});
