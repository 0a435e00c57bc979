// Conversation state: dedupe, time order for delayed messages, unread counts, receipts, typing.
import { describe, expect, it } from 'vitest';
import { Conversations } from './conversations.svelte.ts';
import type { ChatMessage } from '../xmpp/chat.ts';

const message = (id: string, direction: 'in' | 'out', time: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id, peer: 'bob@example.com', direction, body: `message ${id}`, time: new Date(time), delayed: false, ...extra,
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
});
