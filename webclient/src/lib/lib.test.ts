// Pure helpers of the panel: links, grouping, names, backoff, embedded-mode fragments.
import { describe, expect, it } from 'vitest';
import { linkify } from './linkify.ts';
import { groupMessages } from './grouping.ts';
import { displayName, initials } from './identity.ts';
import { loginFromFragment } from './embedded.ts';
import { reconnectDelay } from '../xmpp/backoff.ts';

describe('linkify', () => {
  it('finds http(s) and www links, leaving sentence punctuation out', () => {
    expect(linkify('see https://example.org/a?b=1, then www.example.com.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { kind: 'text', text: ', then ' },
      { kind: 'link', text: 'www.example.com', href: 'https://www.example.com/' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('keeps balanced parentheses and drops an unbalanced closing one', () => {
    expect(linkify('(https://en.wikipedia.org/wiki/X_(y))').find((s) => s.kind === 'link')?.text).toBe('https://en.wikipedia.org/wiki/X_(y)');
  });

  it('never links other schemes', () => {
    expect(linkify('javascript:alert(1) data:text/html,<b>x</b>')).toEqual([{ kind: 'text', text: 'javascript:alert(1) data:text/html,<b>x</b>' }]);
  });
});

describe('groupMessages', () => {
  const at = (iso: string) => new Date(iso);
  it('starts a new group on a sender change, a long pause or a new day', () => {
    const rows = groupMessages([
      { id: '1', direction: 'in', time: at('2024-05-01T10:00:00') },
      { id: '2', direction: 'in', time: at('2024-05-01T10:02:00') },
      { id: '3', direction: 'out', time: at('2024-05-01T10:03:00') },
      { id: '4', direction: 'out', time: at('2024-05-01T10:30:00') },
      { id: '5', direction: 'out', time: at('2024-05-02T09:00:00') },
    ] as const, at('2024-05-02T12:00:00'));
    expect(rows.map((row) => (row.kind === 'day' ? row.label : row.messages.map((m) => m.id).join('')))).toEqual([
      'Yesterday', '12', '3', '4', 'Today', '5',
    ]);
  });
});

describe('identity', () => {
  it('prefers the roster name, then the vCard name, then the local part', () => {
    expect(displayName('bob@example.com', 'Bobby', 'Robert')).toBe('Bobby');
    expect(displayName('bob@example.com', undefined, 'Robert')).toBe('Robert');
    expect(displayName('bob@example.com')).toBe('bob');
  });

  it('makes initials from names and addresses', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('grace.hopper@example.com')).toBe('GH');
    expect(initials('émile')).toBe('É');
  });
});

describe('embedded mode', () => {
  it('reads #token=…&jid=… from the fragment', () => {
    expect(loginFromFragment('#token=abc.def&jid=alice%40example.com')).toEqual({ token: 'abc.def', jid: 'alice@example.com' });
    expect(loginFromFragment('#jid=alice@example.com')).toBeNull();
  });
});

describe('reconnectDelay', () => {
  it('doubles up to a cap, with ±20 % jitter', () => {
    expect(reconnectDelay(0, { random: () => 0.5 })).toBe(1000);
    expect(reconnectDelay(3, { random: () => 0.5 })).toBe(8000);
    expect(reconnectDelay(20, { random: () => 0.5 })).toBe(60_000);
    expect(reconnectDelay(2, { random: () => 0 })).toBe(3200);
    expect(reconnectDelay(2, { random: () => 1 })).toBe(4800);
  });
});

describe('XEP-0393 styling', () => {
  it('styles spans only between matching directives that touch text', async () => {
    const { parseSpans, styleBlocks } = await import('./styling.ts');
    expect(parseSpans('a *b* c')).toEqual([{ kind: 'text', text: 'a ' }, { kind: 'strong', children: [{ kind: 'text', text: '*' }, { kind: 'text', text: 'b' }, { kind: 'text', text: '*' }] }, { kind: 'text', text: ' c' }]);
    expect(parseSpans('2 * 3 * 4')).toEqual([{ kind: 'text', text: '2 * 3 * 4' }]);
    expect(parseSpans('**')).toEqual([{ kind: 'text', text: '**' }]);
    expect(parseSpans('`*not bold*`')).toEqual([{ kind: 'code', text: '`*not bold*`' }]);
    expect(styleBlocks('> a\n> b\nc').map((b) => b.kind)).toEqual(['quote', 'line']);
    expect(styleBlocks('```\n*x*\n```\nafter')).toEqual([{ kind: 'pre', text: '*x*' }, { kind: 'line', spans: [{ kind: 'text', text: 'after' }] }]);
  });
});

describe('message text', () => {
  it('is plain text unless it may be styled or linked, parsed once per text', async () => {
    const { parsedText } = await import('./message-text.ts');
    expect(parsedText('Message number 12 of the long conversation')).toBeNull();
    expect(parsedText('a *b* c')?.[0]).toMatchObject({ kind: 'line' });
    expect(parsedText('> quoted')?.[0]?.kind).toBe('quote');
    expect(parsedText('first\n> quoted')?.[1]?.kind).toBe('quote');
    expect(parsedText('see www.example.org')).not.toBeNull();
    // XEP-0393 §6 <unstyled/>: only links count
    expect(parsedText('a *b* c', true)).toBeNull();
    expect(parsedText('see https://example.org', true)).toEqual([{ kind: 'line', spans: [{ kind: 'text', text: 'see https://example.org' }] }]);
    expect(parsedText('a _b_ c')).toBe(parsedText('a _b_ c'));
  });
});

