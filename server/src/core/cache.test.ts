import { describe, expect, it } from 'vitest';
import { LocalCaches } from './cache.ts';
import { createServerHub } from './server-events.ts';

describe('LocalCaches', () => {
  it('announces changes and drops values another node changed', () => {
    const hub = createServerHub();
    const caches = new LocalCaches(hub, 'here');
    const announced: string[] = [];
    hub.on('cache-invalidated', (event) => void announced.push(`${event.node} ${event.cache} ${event.key}`));
    const hashes = caches.open<string>('vcard.avatar-hashes');
    hashes.set('alice@example.com', 'abc');
    expect(announced).toEqual(['here vcard.avatar-hashes alice@example.com']);
    void hub.emit('cache-invalidated', { cache: 'vcard.avatar-hashes', key: 'alice@example.com', node: 'here' });
    expect(hashes.get('alice@example.com')).toBe('abc'); // our own change
    void hub.emit('cache-invalidated', { cache: 'vcard.avatar-hashes', key: 'alice@example.com', node: 'elsewhere' });
    expect(hashes.get('alice@example.com')).toBeUndefined();
    expect(caches.open('vcard.avatar-hashes')).toBe(hashes);
  });
});
