// Components rendered in happy-dom: what a user (and a screen reader) finds on screen.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import ContactList from './ContactList.svelte';
import LoginForm from './LoginForm.svelte';
import MessageList from './MessageList.svelte';
import Composer from './Composer.svelte';
import ConnectionBanner from './ConnectionBanner.svelte';
import SearchResults from './SearchResults.svelte';
import { ArchiveSearch } from '../state/search.svelte.ts';
import type { Contact } from '../state/contacts.svelte.ts';
import type { ChatMessage } from '../xmpp/chat.ts';

afterEach(() => cleanup());

const contact = (jid: string, name: string, extra: Partial<Contact> = {}): Contact => ({
  jid, name, groups: [], subscription: 'both', pending: false, inRoster: true, availability: 'offline', ...extra,
});

describe('ContactList', () => {
  const contacts = [
    contact('zoe@example.com', 'Zoe', { availability: 'available', groups: ['Team'] }),
    contact('adam@example.com', 'Adam', { groups: ['Team'] }),
    contact('mia@example.com', 'Mia', { availability: 'away', status: 'Lunch', groups: ['Team'] }),
    contact('sam@example.com', 'Sam'),
  ];
  const handlers = { onOpen: vi.fn(), onRemove: vi.fn(), onAdd: vi.fn(), onApprove: vi.fn(), onDeny: vi.fn() };

  it('groups contacts (ungrouped last) with online people first, each with an accessible name', () => {
    const { container } = render(ContactList, { contacts, requests: [], ...handlers });
    const groups = [...container.querySelectorAll('section.group')].map((s) => s.getAttribute('aria-label'));
    expect(groups).toEqual(['Team', 'Contacts']);
    const team = [...container.querySelectorAll('section[aria-label="Team"] li')].map((li) => li.getAttribute('data-jid'));
    expect(team).toEqual(['zoe@example.com', 'mia@example.com', 'adam@example.com']);
    expect(screen.getByRole('button', { name: 'Chat with Mia, Away: Lunch' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Remove Sam' })).toBeTruthy();
  });

  it('filters by name, address or status', async () => {
    const { container } = render(ContactList, { contacts, requests: [], ...handlers });
    await fireEvent.input(screen.getByRole('searchbox', { name: 'Search contacts' }), { target: { value: 'lunch' } });
    expect([...container.querySelectorAll('li[data-jid]')].map((li) => li.getAttribute('data-jid'))).toEqual(['mia@example.com']);
  });

  it('offers accept and refuse for subscription requests', async () => {
    render(ContactList, { contacts, requests: [{ jid: 'new@example.com', name: 'new' }], ...handlers });
    await fireEvent.click(screen.getByRole('button', { name: 'Accept new@example.com' }));
    expect(handlers.onApprove).toHaveBeenCalledWith('new@example.com');
    await fireEvent.click(screen.getByRole('button', { name: 'Refuse new@example.com' }));
    expect(handlers.onDeny).toHaveBeenCalledWith('new@example.com');
  });

  it('asks before removing a contact', async () => {
    render(ContactList, { contacts, requests: [], ...handlers });
    await fireEvent.click(screen.getByRole('button', { name: 'Remove Sam' }));
    expect(handlers.onRemove).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByRole('button', { name: 'Remove' }));
    expect(handlers.onRemove).toHaveBeenCalledWith('sam@example.com');
  });
});

describe('MessageList', () => {
  const messages: ChatMessage[] = [
    { id: '1', peer: 'bob@example.com', direction: 'in', body: '<b>hi</b> see https://example.org', time: new Date(), delayed: false },
    { id: '2', peer: 'bob@example.com', direction: 'in', body: 'from yesterday', time: new Date(Date.now() - 86_400_000), delayed: true },
    { id: '3', peer: 'bob@example.com', direction: 'out', body: 'a'.repeat(500), time: new Date(), delayed: false, delivery: 'delivered' },
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
});

describe('LoginForm', () => {
  it('submits address and password, and shows errors as alerts', async () => {
    const onLogin = vi.fn();
    render(LoginForm, { onLogin, error: 'Wrong address or password.' });
    await fireEvent.input(screen.getByLabelText('Address'), { target: { value: 'alice@example.com' } });
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'secret' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onLogin).toHaveBeenCalledWith('alice@example.com', 'secret');
    expect(screen.getByRole('alert').textContent).toBe('Wrong address or password.');
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
    id: archiveId, archiveId, peer: 'bob@example.com', direction, body, time: new Date('2024-05-01T10:00:00Z'), delayed: false,
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
