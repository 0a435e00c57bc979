// Components rendered in happy-dom: what a user (and a screen reader) finds on screen.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { rosterRows } from './contact-order.ts';
import LoginForm from './LoginForm.svelte';
import MessageList from './MessageList.svelte';
import Composer from './Composer.svelte';
import ConnectionBanner from './ConnectionBanner.svelte';
import SearchResults from './SearchResults.svelte';
import { ArchiveSearch } from '../state/search.svelte.ts';
import { Contacts, compareContacts, type Contact } from '../state/contacts.svelte.ts';
import type { RosterEntry } from '@parley/shared';
import type { ChatMessage } from '../xmpp/chat.ts';
import { archivedMessage } from '../xmpp/archive.ts';
import { parseMamResult } from '@parley/shared/mam';
import { NS, parseJid, xml } from '@parley/shared';

afterEach(() => cleanup());

const contact = (jid: string, name: string, extra: Partial<Contact> = {}): Contact => ({
  jid, name, groups: [], subscription: 'both', pending: false, inRoster: true, availability: 'offline', searchText: name.toLowerCase(), ...extra,
});

describe('roster rows', () => {
  const roster = new Map<string, RosterEntry>([
    ['zoe@example.com', { jid: 'zoe@example.com', name: 'Zoe', subscription: 'both', pending: false, groups: ['Team'] }],
    ['adam@example.com', { jid: 'adam@example.com', name: 'Adam', subscription: 'both', pending: false, groups: ['Team'] }],
    ['mia@example.com', { jid: 'mia@example.com', name: 'Mia', subscription: 'both', pending: false, groups: ['Team'] }],
    ['sam@example.com', { jid: 'sam@example.com', name: 'Sam', subscription: 'both', pending: false, groups: [] }],
  ]);
  const view = (contacts: Contacts, filter = '', collapsed: Record<string, boolean> = {}) =>
    rosterRows(contacts.sortedGroups(), filter, collapsed).map((row) => (row.kind === 'group' ? `[${row.group}] ${row.online}/${row.total}` : row.contact.name));

  it('groups contacts (ungrouped last) with online people first, and moves one on a presence change', () => {
    const contacts = new Contacts();
    contacts.setRoster(roster);
    contacts.setPresence('zoe@example.com', { availability: 'available' });
    contacts.setPresence('mia@example.com', { availability: 'away', status: 'Lunch' });
    expect(view(contacts)).toEqual(['[Team] 2/3', 'Zoe', 'Mia', 'Adam', '[] 0/1', 'Sam']);
    contacts.setPresence('adam@example.com', { availability: 'available' });
    contacts.setPresence('zoe@example.com', { availability: 'offline' });
    expect(view(contacts)).toEqual(['[Team] 2/3', 'Adam', 'Mia', 'Zoe', '[] 0/1', 'Sam']);
  });

  it('filters by name, address, status or group, and hides a collapsed group', () => {
    const contacts = new Contacts();
    contacts.setRoster(roster);
    contacts.setPresence('mia@example.com', { availability: 'away', status: 'Lunch' });
    expect(view(contacts, 'lunch')).toEqual(['[Team] 1/1', 'Mia']);
    expect(view(contacts, 'sam@')).toEqual(['[] 0/1', 'Sam']);
    expect(view(contacts, '', { Team: true })).toEqual(['[Team] 1/3', '[] 0/1', 'Sam']);
  });

  it('orders thousands of contacts by moving single entries', () => {
    const many = new Map<string, RosterEntry>();
    for (let i = 0; i < 5000; i++) many.set(`u${i}@example.com`, { jid: `u${i}@example.com`, name: `Person ${i}`, subscription: 'both', pending: false, groups: [] });
    const contacts = new Contacts();
    contacts.setRoster(many);
    for (let i = 0; i < 5000; i += 7) contacts.setPresence(`u${i}@example.com`, { availability: 'available' });
    const names = view(contacts).slice(1);
    const sorted = [...contacts.sortedGroups()[0]![1]].sort(compareContacts).map((c) => c.name);
    expect(names).toEqual(sorted);
  });
});

describe('MessageList', () => {
  const messages: ChatMessage[] = [
    { id: '1', peer: 'bob@example.com', direction: 'in', body: '<b>hi</b> see https://example.org', time: new Date(), delayed: false, refs: [] },
    { id: '2', peer: 'bob@example.com', direction: 'in', body: 'from yesterday', time: new Date(Date.now() - 86_400_000), delayed: true, refs: [] },
    { id: '3', peer: 'bob@example.com', direction: 'out', body: 'a'.repeat(500), time: new Date(), delayed: false, delivery: 'delivered', refs: [] },
  ];

  it('renders bodies as text, builds safe links, marks delivery and delayed messages', () => {
    const { container } = render(MessageList, { messages, peerName: 'Bob' });
    const first = container.querySelector('.bubble[data-direction="in"]');
    expect(container.querySelector('b')).toBeNull();
    expect(container.textContent).toContain('<b>hi</b>');
    const link = container.querySelector('a')!;
    expect(link.getAttribute('href')).toBe('https://example.org/');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(first).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Delivered' })).toBeTruthy();
    expect(screen.getByLabelText('delivered later')).toBeTruthy();
    expect(screen.getByRole('log', { name: 'Messages with Bob' })).toBeTruthy();
  });

  it('shows a tombstone from the archive (XEP-0424 §5) as it shows a retraction seen live', () => {
    const tombstone = xml('message', { from: 'bob@example.com/phone', to: 'alice@example.com', type: 'chat', id: 'b-1' },
      xml('retracted', { xmlns: 'urn:xmpp:message-retract:1', id: 'r-1', stamp: '2024-05-01T10:05:00Z' }));
    const result = parseMamResult(xml('message', { from: 'alice@example.com' }, xml('result', { xmlns: NS.mam, queryid: 'q', id: 'A1' },
      xml('forwarded', { xmlns: NS.forward }, xml('delay', { xmlns: NS.delay, stamp: '2024-05-01T10:00:00Z' }), tombstone))))!;
    const fromArchive = archivedMessage(result, parseJid('alice@example.com'))!;
    // live: the message was shown, then its retraction arrived (state/conversations.svelte.ts)
    const live: ChatMessage = { id: 'b-2', peer: 'bob@example.com', direction: 'in', body: '', time: new Date(), delayed: false, refs: [], retracted: true };
    const { container } = render(MessageList, { messages: [fromArchive, live], peerName: 'Bob' });
    const bubbles = [...container.querySelectorAll('.bubble')];
    expect(bubbles).toHaveLength(2);
    for (const bubble of bubbles) {
      expect(bubble.classList.contains('retracted')).toBe(true);
      expect(bubble.querySelector('.body')!.textContent).toBe('This message was deleted');
    }
  });
});

describe('MessageList actions', () => {
  const at = Date.now() - 60_000;
  const messages: ChatMessage[] = ['one', 'two', 'three'].map((body, i) => ({
    id: `m${i}`, peer: 'bob@example.com', direction: 'in', body, time: new Date(at + i * 1000), delayed: false, refs: [`m${i}`],
  }));
  const toolbars = () => screen.queryAllByRole('toolbar');

  it('mounts a bubble\'s actions only under the pointer or the focus', async () => {
    const onReply = vi.fn();
    const { container } = render(MessageList, { messages, peerName: 'Bob', onReply, onReact: vi.fn() });
    const bubbles = [...container.querySelectorAll<HTMLElement>('.bubble')];
    expect(bubbles).toHaveLength(3);
    expect(toolbars()).toHaveLength(0);
    await fireEvent.pointerOver(bubbles[0]!.querySelector('.body')!);
    expect(toolbars()).toHaveLength(1);
    await fireEvent.click(within(bubbles[0]!).getByRole('button', { name: 'Reply' }));
    expect(onReply).toHaveBeenCalledWith(expect.objectContaining({ id: 'm0' }));
    await fireEvent.pointerLeave(screen.getByRole('log'));
    expect(toolbars()).toHaveLength(0);
  });

  it('makes the bubbles one Tab stop, moved with arrow keys, Home and End; the focused one shows its actions', async () => {
    const { container } = render(MessageList, { messages, peerName: 'Bob', onReply: vi.fn(), onReact: vi.fn() });
    const bubbles = () => [...container.querySelectorAll<HTMLElement>('.bubble')];
    expect(bubbles().map((b) => b.tabIndex)).toEqual([-1, -1, 0]); // the newest
    bubbles()[2]!.focus();
    await tick();
    expect(within(bubbles()[2]!).getByRole('toolbar')).toBeTruthy();
    await fireEvent.keyDown(bubbles()[2]!, { key: 'ArrowUp' });
    await tick();
    expect(document.activeElement).toBe(bubbles()[1]);
    expect(bubbles().map((b) => b.tabIndex)).toEqual([-1, 0, -1]);
    expect(toolbars()).toHaveLength(1);
    expect(within(bubbles()[1]!).getByRole('toolbar')).toBeTruthy();
    await fireEvent.keyDown(bubbles()[1]!, { key: 'Home' });
    await tick();
    expect(document.activeElement).toBe(bubbles()[0]);
    await fireEvent.keyDown(bubbles()[0]!, { key: 'End' });
    await tick();
    expect(document.activeElement).toBe(bubbles()[2]);
  });
});

describe('LoginForm', () => {
  it('submits address and password, and shows errors as alerts', async () => {
    const onLogin = vi.fn();
    render(LoginForm, { onLogin, error: 'Wrong address or password.' });
    await fireEvent.input(screen.getByLabelText('Address'), { target: { value: 'alice@example.com' } });
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'secret' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onLogin).toHaveBeenCalledWith('alice@example.com', 'secret', false);
    expect(screen.getByRole('alert').textContent).toBe('Wrong address or password.');
    // "Stay signed in" (a FAST token, XEP-0484) only when ticked
    await fireEvent.click(screen.getByLabelText('Stay signed in on this device'));
    await fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onLogin).toHaveBeenLastCalledWith('alice@example.com', 'secret', true);
  });
});

describe('Composer', () => {
  it('sends composing while typing and the text on Enter', async () => {
    const onSend = vi.fn();
    const onChatState = vi.fn();
    render(Composer, { peer: 'bob@example.com', peerName: 'Bob', onSend, onChatState });
    const box = screen.getByLabelText('Message Bob');
    await fireEvent.input(box, { target: { value: 'Hello 👋' } });
    expect(onChatState).toHaveBeenCalledWith('composing');
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('Hello 👋');
    await fireEvent.input(box, { target: { value: 'line' } });
    await fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(onSend).toHaveBeenCalledTimes(1);
  });
});

describe('ConnectionBanner', () => {
  it('says when it reconnects and offers to retry now', async () => {
    const onRetry = vi.fn();
    render(ConnectionBanner, { status: 'reconnecting', detail: { retryInMs: 4000 }, onRetry, onSignOut: vi.fn() });
    expect(screen.getByRole('status').textContent).toMatch(/Reconnecting in [34] s/);
    await fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(onRetry).toHaveBeenCalled();
  });

  it('is absent when online', () => {
    render(ConnectionBanner, { status: 'online', detail: {}, onRetry: vi.fn(), onSignOut: vi.fn() });
    expect(screen.queryByRole('status')).toBeNull();
  });
});

describe('SearchResults', () => {
  const found = (archiveId: string, body: string, direction: 'in' | 'out' = 'in'): ChatMessage => ({
    id: archiveId, archiveId, peer: 'bob@example.com', direction, body, time: new Date('2024-05-01T10:00:00Z'), delayed: false, refs: [],
  });

  it('lists results with who and when, the matches in <mark> and the text never parsed as HTML', async () => {
    const runner = vi.fn(async () => ({
      messages: [found('A2', 'Bring the <img src=x onerror=alert(1)> CAKE', 'out'), found('A1', 'cakes and cake')], complete: false, cursor: 'A1', count: 3,
    }));
    const search = new ArchiveSearch(runner);
    await search.run('cake');
    const onOpenResult = vi.fn();
    const { container } = render(SearchResults, { search, contactOf: (jid: string) => contact(jid, 'Bob'), onOpenResult });
    expect(screen.getByRole('status').textContent).toBe('3 messages');
    const results = [...container.querySelectorAll('button.result')];
    expect(results.map((r) => [...r.querySelectorAll('mark')].map((m) => m.textContent))).toEqual([['CAKE'], ['cake']]);
    expect(results[0]!.textContent).toContain('You: Bring the <img src=x onerror=alert(1)> CAKE');
    expect(container.querySelector('img')).toBeNull();
    await fireEvent.click(results[1]!);
    expect(onOpenResult).toHaveBeenCalledWith(expect.objectContaining({ archiveId: 'A1' }));

    runner.mockResolvedValueOnce({ messages: [found('A0', 'first cake')], complete: true, cursor: 'A0', count: 3 });
    await fireEvent.click(screen.getByRole('button', { name: 'More results' }));
    expect(runner).toHaveBeenLastCalledWith('cake', { peer: undefined, before: 'A1' });
    expect(container.querySelectorAll('button.result')).toHaveLength(3);
    expect(screen.queryByRole('button', { name: 'More results' })).toBeNull();
  });

  it('says when nothing matches', async () => {
    const search = new ArchiveSearch(async () => ({ messages: [], complete: true, count: 0 }));
    await search.run('zebra');
    render(SearchResults, { search, contactOf: (jid: string) => contact(jid, 'Bob'), onOpenResult: vi.fn() });
    expect(screen.getByRole('status').textContent).toBe('No messages match “zebra”.');
  });
});
