// The domains this server serves (virtual hosts). Kept in memory, loaded from storage.
import type { Storage } from '../storage/index.ts';
import { normalizeDomain } from '@parley/shared';

export class Hosts {
  private readonly domains = new Set<string>();
  private readonly listeners: Array<(domain: string, added: boolean) => void> = [];

  constructor(private readonly storage: Storage) {}

  async load(initial: string[]): Promise<void> {
    for (const domain of initial) await this.storage.domains.add(normalizeDomain(domain));
    for (const domain of await this.storage.domains.list()) this.domains.add(domain);
  }

  has(domain: string): boolean {
    return this.domains.has(domain);
  }

  list(): string[] {
    return [...this.domains];
  }

  get first(): string {
    return this.domains.values().next().value ?? 'localhost';
  }

  async add(domain: string): Promise<void> {
    const normalized = normalizeDomain(domain);
    await this.storage.domains.add(normalized);
    if (!this.domains.has(normalized)) {
      this.domains.add(normalized);
      for (const listener of this.listeners) listener(normalized, true);
    }
  }

  /** Re-read the stored list (domains added or removed by the CLI while running). */
  async refresh(): Promise<void> {
    const stored = new Set(await this.storage.domains.list());
    for (const domain of stored) {
      if (!this.domains.has(domain)) {
        this.domains.add(domain);
        for (const listener of this.listeners) listener(domain, true);
      }
    }
    for (const domain of this.domains) {
      if (!stored.has(domain)) {
        this.domains.delete(domain);
        for (const listener of this.listeners) listener(domain, false);
      }
    }
  }

  onChange(listener: (domain: string, added: boolean) => void): void {
    this.listeners.push(listener);
  }
}
