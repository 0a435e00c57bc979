import { describe, expect, it } from 'vitest';
import { JID } from '@parley/shared';
import { NO_INTERESTS, type SessionEntry } from '../core/session-table.ts';
import { MemorySessionTable } from './memory-session-table.ts';

const entry = (sessionId: string, full: string, node = 'a'): SessionEntry => {
  const [bare, resource] = full.split('/') as [string, string];
  const [local, domain] = bare.split('@') as [string, string];
  return { sessionId, node, jid: new JID(local, domain, resource), available: false, priority: 0, presence: null, interests: NO_INTERESTS, resumptionId: null, hibernatedUntil: null };
};

describe('MemorySessionTable', () => {
  it('finds entries by full JID and by account, and forgets them', () => {
    const table = new MemorySessionTable();
    table.register(entry('1', 'alice@example.com/desk'));
    table.register(entry('2', 'alice@example.com/phone'));
    expect(table.get('alice@example.com/phone')?.sessionId).toBe('2');
    expect(table.resources('alice@example.com').map((e) => e.sessionId)).toEqual(['1', '2']);
    expect(table.hasSessions('alice@example.com')).toBe(true);
    table.unregister('1');
    expect(table.get('alice@example.com/desk')).toBeUndefined();
    table.unregister('2');
    expect(table.hasSessions('alice@example.com')).toBe(false);
    expect(table.resources('alice@example.com')).toEqual([]);
    expect(table.size).toBe(0);
  });

  it('refuses a second entry for a bound full JID', () => {
    const table = new MemorySessionTable();
    table.register(entry('1', 'bob@example.com/x'));
    expect(() => table.register(entry('2', 'bob@example.com/x'))).toThrow(/already bound/);
  });

  it('keeps the resources a reader is iterating when a session ends meanwhile', () => {
    const table = new MemorySessionTable();
    for (const id of ['1', '2', '3']) table.register(entry(id, `carol@example.com/r${id}`));
    const seen: string[] = [];
    for (const e of table.resources('carol@example.com')) {
      seen.push(e.sessionId);
      if (e.sessionId === '1') table.unregister('2');
    }
    expect(seen).toEqual(['1', '2', '3']);
    expect(table.resources('carol@example.com').map((e) => e.sessionId)).toEqual(['1', '3']);
  });

  it('updates availability in place and cleans up a node', () => {
    const table = new MemorySessionTable();
    table.register(entry('1', 'dave@example.com/a', 'node-a'));
    table.register(entry('2', 'dave@example.com/b', 'node-b'));
    table.update('1', { available: true, priority: 5 });
    expect(table.get('dave@example.com/a')).toMatchObject({ available: true, priority: 5 });
    table.cleanupNode('node-b');
    expect([...table.all()].map((e) => e.sessionId)).toEqual(['1']);
  });
});
