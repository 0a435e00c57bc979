// The shared SQLite connection's transactions (connection.ts): outside calls wait for an open
// transaction, and a transaction that waits for I/O is refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorage, type SqliteStorage } from './index.ts';
import { TransactionSpannedIoError } from './connection.ts';

let dir: string;
let storage: SqliteStorage;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-connection-'));
  storage = openSqliteStorage(dir);
});

afterEach(async () => {
  await storage.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SQLite transactions', () => {
  it('make outside writes wait until they end, so a rollback never takes them along', async () => {
    const notes = storage.keyValue.open<string>('notes');
    const order: string[] = [];
    const failed = storage.transaction(async (tx) => {
      await tx.keyValue.open<string>('notes').set('alice@example.com', 'inside', 'rolled back');
      order.push('inside');
      // an outside write issued while the transaction is open
      void notes.set('alice@example.com', 'outside', 'kept').then(() => order.push('outside'));
      await tx.vcards.get('alice@example.com');
      throw new Error('abort');
    });
    await expect(failed).rejects.toThrow('abort');
    await storage.vcards.get('alice@example.com'); // after the outside write
    expect(order).toEqual(['inside', 'outside']);
    expect(await notes.list('alice@example.com')).toEqual([{ key: 'outside', value: 'kept' }]);
  });

  it('roll back a transaction that waits for something else than its stores', async () => {
    await expect(storage.transaction(async (tx) => {
      await tx.keyValue.open<string>('notes').set('alice@example.com', 'k', 'v');
      await sleep(5);
    })).rejects.toBeInstanceOf(TransactionSpannedIoError);
    expect(await storage.keyValue.open('notes').get('alice@example.com', 'k')).toBeUndefined();
    // and the connection takes the next one
    await storage.transaction((tx) => tx.keyValue.open<string>('notes').set('alice@example.com', 'k', 'again'));
    expect(await storage.keyValue.open('notes').get('alice@example.com', 'k')).toBe('again');
  });
});
