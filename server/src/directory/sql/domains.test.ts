// The embedded directory's served domains (moved here with the domain list, from the state storage's tests).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDataFolder, type DataStores } from '../../data-folder.ts';

let dir: string;
let data: DataStores;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-directory-'));
  data = openDataFolder(dir);
});

afterEach(async () => {
  await data.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const names = async () => (await data.directory.domains.list()).map((domain) => domain.name);

describe('domains', () => {
  it('adds, lists, checks and removes idempotently', async () => {
    const domains = data.directory.domains;
    expect(await names()).toEqual([]);
    expect(await domains.create('example.com')).toBe(true);
    expect(await domains.create('example.com')).toBe(false);
    expect(await domains.create('chat.example.com')).toBe(true);
    expect(await names()).toEqual(['chat.example.com', 'example.com']);
    expect(await domains.get('example.com')).not.toBeNull();
    expect(await domains.get('other.org')).toBeNull();

    expect(await domains.remove('example.com')).toBe(true);
    expect(await domains.remove('example.com')).toBe(false);
    expect(await domains.get('example.com')).toBeNull();
    expect(await names()).toEqual(['chat.example.com']);
  });

  it('are kept across close and reopen', async () => {
    await data.directory.domains.create('example.com');
    await data.directory.domains.addAlias('example.com', 'chat.example.com');
    await data.close();
    data = openDataFolder(dir);
    expect(await data.directory.domains.names()).toEqual(new Map([['chat.example.com', 'example.com'], ['example.com', 'example.com']]));
  });
});
