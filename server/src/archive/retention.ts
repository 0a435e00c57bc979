// Retention: entries older than archive.retentionDays are pruned at start and then hourly, in
// both backends. Only the oldest entries go, so the archive never gets holes (XEP-0313 §3).
import type { Logger } from '../logger.ts';
import { firstSeqAt } from './ids.ts';
import type { ArchiveStore } from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/** The first seq that is kept when entries older than `days` days are pruned at `now`. */
export function retentionCutoff(days: number, now = Date.now()): number {
  return firstSeqAt(now - days * DAY_MS);
}

export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(private readonly store: ArchiveStore, private readonly days: number, private readonly log?: Logger) {}

  start(): void {
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  /** Prunes now; resolves with how many entries went (0 when a run was already going or it failed). */
  runOnce(now = Date.now()): Promise<number> {
    this.running ??= this.store.pruneBefore(retentionCutoff(this.days, now)).then((removed) => {
      if (removed > 0) this.log?.info({ event: 'archive-pruned', removed, days: this.days }, 'archive retention pruned old entries');
      return removed;
    }, (error: unknown) => {
      this.log?.warn({ err: error }, 'archive retention failed; it will run again');
      return 0;
    }).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
