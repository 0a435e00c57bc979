import { describe, expect, it } from 'vitest';
import { orderSrvRecords } from './srv-order.ts';

const record = (name: string, priority: number, weight: number) => ({ name, priority, weight });

describe('orderSrvRecords (RFC 2782)', () => {
  it('puts lower priorities first whatever the weights', () => {
    const ordered = orderSrvRecords([record('c', 20, 100), record('a', 0, 0), record('b', 10, 50)]);
    expect(ordered.map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });

  it('picks by weight within a priority', () => {
    const records = [record('light', 5, 10), record('heavy', 5, 90)];
    const firsts = { light: 0, heavy: 0 };
    // a deterministic uniform sweep of the random number
    for (let i = 0; i < 1000; i++) {
      const first = orderSrvRecords(records, () => (i + 0.5) / 1000)[0]!.name as 'light' | 'heavy';
      firsts[first]++;
    }
    expect(firsts.heavy).toBeGreaterThan(850);
    expect(firsts.light).toBeGreaterThan(50);
  });

  it('gives a weight-0 record a chance only when the random number is 0', () => {
    const records = [record('zero', 1, 0), record('some', 1, 10)];
    expect(orderSrvRecords(records, () => 0).map((r) => r.name)).toEqual(['zero', 'some']);
    expect(orderSrvRecords(records, () => 0.5).map((r) => r.name)).toEqual(['some', 'zero']);
  });

  it('keeps every record exactly once', () => {
    const records = Array.from({ length: 20 }, (_, i) => record(`r${i}`, i % 3, i % 4));
    const ordered = orderSrvRecords(records);
    expect(new Set(ordered)).toEqual(new Set(records));
    expect(ordered.map((r) => r.priority)).toEqual([...ordered.map((r) => r.priority)].sort((a, b) => a - b));
  });
});
