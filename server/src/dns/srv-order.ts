// RFC 2782 ("Usage rules"): the order in which SRV targets are tried.
//
// Lowest priority first; within one priority, a weighted random pick: records of weight 0 are put
// first, then repeatedly a random number in [0, sum of the remaining weights] selects the first
// record whose running sum reaches it. A record of weight 0 is thus rarely picked while others are
// left, which is what the RFC asks. XEP-0368 §3: _xmpps- and _xmpp- records are ordered as one set.

export interface SrvRecordLike {
  priority: number;
  weight: number;
}

/** A new array in connection order; `random` returns [0, 1) (Math.random; tests pass their own). */
export function orderSrvRecords<T extends SrvRecordLike>(records: readonly T[], random: () => number = Math.random): T[] {
  const byPriority = new Map<number, T[]>();
  for (const record of records) {
    const group = byPriority.get(record.priority);
    if (group) group.push(record);
    else byPriority.set(record.priority, [record]);
  }
  const ordered: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const remaining = byPriority.get(priority)!.slice().sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (remaining.length > 0) {
      const total = remaining.reduce((sum, record) => sum + record.weight, 0);
      // an integer in [0, total], as the RFC's "uniformly random number between 0 and the sum"
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      let index = remaining.findIndex((record) => (running += record.weight) >= pick);
      if (index === -1) index = remaining.length - 1;
      ordered.push(remaining.splice(index, 1)[0]!);
    }
  }
  return ordered;
}
