// The domains this server serves (virtual hosts) and their aliases. Kept in memory, loaded from the
// directory; an alias is served like its domain, and its users are the domain's (alice@alias is
// alice@domain).
import type { DomainDirectory } from '../directory/types.ts';
import { normalizeDomain } from '@parley/shared';

export class Hosts {
  /** Every served name → its canonical domain (a domain maps to itself, an alias to its domain). */
  private readonly names = new Map<string, string>();
  private readonly listeners: Array<(domain: string, added: boolean) => void> = [];

  constructor(private readonly domains: DomainDirectory) {}

  async load(initial: string[]): Promise<void> {
    for (const domain of initial) await this.serve(normalizeDomain(domain));
    for (const [name, canonical] of await this.domains.names()) this.names.set(name, canonical);
  }

  /** Adds the domain to the directory unless it serves it already (as a domain or an alias). */
  private async serve(domain: string): Promise<void> {
    if (!(await this.domains.names()).has(domain)) await this.domains.create(domain);
  }

  /** A domain or an alias served here. */
  has(domain: string): boolean {
    return this.names.has(domain);
  }

  /** The domain an alias stands for; a domain (or an unknown name) is its own. */
  canonical(domain: string): string {
    return this.names.get(domain) ?? domain;
  }

  /** Every served name, domains and aliases (each needs a certificate). */
  list(): string[] {
    return [...this.names.keys()];
  }

  get first(): string {
    for (const [name, canonical] of this.names) if (name === canonical) return name;
    return 'localhost';
  }

  async add(domain: string): Promise<void> {
    const normalized = normalizeDomain(domain);
    await this.serve(normalized);
    if (!this.names.has(normalized)) {
      this.names.set(normalized, normalized);
      for (const listener of this.listeners) listener(normalized, true);
    }
  }

  /** Re-read the stored list (domains and aliases added or removed by the CLI, the admin API or the suite's bus). */
  async refresh(): Promise<void> {
    const stored = await this.domains.names();
    for (const [name, canonical] of stored) {
      const known = this.names.get(name);
      this.names.set(name, canonical);
      if (known === undefined) for (const listener of this.listeners) listener(name, true);
    }
    for (const name of [...this.names.keys()]) {
      if (!stored.has(name)) {
        this.names.delete(name);
        for (const listener of this.listeners) listener(name, false);
      }
    }
  }

  onChange(listener: (domain: string, added: boolean) => void): void {
    this.listeners.push(listener);
  }
}
