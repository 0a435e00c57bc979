// The storage contract (index.ts): the named key-value stores of modules.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../types.ts';

export function keyValueContract(current: () => Storage): void {
  let storage: Storage;
  beforeEach(() => {
    storage = current();
  });

  describe('key-value stores', () => {
    it('keep JSON values per store, owner and key', async () => {
      const bookmarks = storage.keyValue.open<{ name: string; autojoin?: boolean }>('bookmarks');
      expect(await bookmarks.get('alice@example.com', 'lobby')).toBeUndefined();
      await bookmarks.set('alice@example.com', 'lobby', { name: 'Lobby', autojoin: true });
      await bookmarks.set('alice@example.com', 'bar', { name: 'Bar' });
      await bookmarks.set('bob@example.com', 'lobby', { name: 'Bob’s lobby' });
      expect(await bookmarks.get('alice@example.com', 'lobby')).toEqual({ name: 'Lobby', autojoin: true });
      expect(await bookmarks.list('alice@example.com')).toEqual([
        { key: 'bar', value: { name: 'Bar' } },
        { key: 'lobby', value: { name: 'Lobby', autojoin: true } },
      ]);

      // another store with the same owner and key is another entry
      const notes = storage.keyValue.open<string[]>('notes');
      await notes.set('alice@example.com', 'lobby', ['one', 'two']);
      expect(await notes.get('alice@example.com', 'lobby')).toEqual(['one', 'two']);
      expect(await bookmarks.get('alice@example.com', 'lobby')).toEqual({ name: 'Lobby', autojoin: true });
      // the same store opened again sees the same entries
      expect(await storage.keyValue.open('bookmarks').get('bob@example.com', 'lobby')).toEqual({ name: 'Bob’s lobby' });
    });

    it('replace, delete and clear', async () => {
      const store = storage.keyValue.open<number | string | null | boolean>('counters');
      await store.set('example.com', 'visits', 1);
      await store.set('example.com', 'visits', 2);
      await store.set('example.com', 'motd', 'hello');
      await store.set('example.com', 'nothing', null);
      await store.set('other.org', 'visits', 9);
      expect(await store.get('example.com', 'visits')).toBe(2);
      expect(await store.get('example.com', 'nothing')).toBeNull();

      expect(await store.delete('example.com', 'motd')).toBe(true);
      expect(await store.delete('example.com', 'motd')).toBe(false);
      expect(await store.list('example.com')).toEqual([{ key: 'nothing', value: null }, { key: 'visits', value: 2 }]);
      expect(await store.clear('example.com')).toBe(2);
      expect(await store.list('example.com')).toEqual([]);
      expect(await store.get('other.org', 'visits')).toBe(9);
    });

    it('refuse a bad store name and a value JSON cannot hold', async () => {
      expect(() => storage.keyValue.open('Bad Name')).toThrow(TypeError);
      expect(() => storage.keyValue.open('')).toThrow(TypeError);
      await expect(storage.keyValue.open<unknown>('things').set('alice@example.com', 'x', undefined)).rejects.toThrow(TypeError);
      expect(await storage.keyValue.open('things').list('alice@example.com')).toEqual([]);
    });
  });
}
