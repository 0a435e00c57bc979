// The names this server serves (virtual hosts): each is an account domain — canonical or an alias,
// kept current from the directory; alice@alias is alice@domain — or a component with its own
// handler, registered and removed at run time (as ejabberd's ejabberd_router:register_route serves
// mod_muc). Names that come and go are announced on the hub (host-added, host-removed).
import { normalizeDomain } from '@parley/shared';
import type { Component, ComponentHosts } from '../core/hosts.ts';
import type { ServerHub } from '../core/server-events.ts';

export type { Component };

/** Where account domains and their aliases are kept (the directory's domain list). */
export interface ServedDomainSource {
  /** Serve a domain from now on (stored). */
  add(domain: string): Promise<unknown>;
  /** Every served name → its canonical domain (a domain maps to itself, an alias to its domain). */
  names(): Promise<Map<string, string>>;
}

/** An account domain's canonical name, or the component that serves the name. */
export type ServedName = string | Component;

export class HostTable implements ComponentHosts {
  private readonly names = new Map<string, ServedName>();
  /** How a component is served in a cluster (cluster/room-placement.ts); itself on a single node. */
  private placement: (component: Component) => Component = (component) => component;
  /** A component → what serves its name (itself, or its placement in a cluster). */
  private readonly served = new WeakMap<Component, Component>();

  constructor(private readonly source: ServedDomainSource, private readonly hub: ServerHub) {}

  async load(initial: string[]): Promise<void> {
    for (const domain of initial) await this.source.add(normalizeDomain(domain));
    for (const [name, canonical] of await this.source.names()) this.names.set(name, canonical);
  }

  /** One lookup for the router: the canonical account domain, the component, or undefined (not served here). */
  lookup(name: string): ServedName | undefined {
    return this.names.get(name);
  }

  /** A name served here: account domain, alias or component. */
  has(name: string): boolean {
    return this.names.has(name);
  }

  /** A domain or alias whose users have accounts here (what a client stream may be opened to). */
  isAccountDomain(name: string): boolean {
    return typeof this.names.get(name) === 'string';
  }

  /** The domain an alias stands for; a domain (or an unknown name) is its own. */
  canonical(name: string): string {
    const served = this.names.get(name);
    return typeof served === 'string' ? served : name;
  }

  /** The canonical account domains (not aliases, not components). */
  accountDomains(): string[] {
    const domains: string[] = [];
    for (const [name, served] of this.names) if (served === name) domains.push(name);
    return domains;
  }

  /** Every served name (each needs a certificate). */
  list(): string[] {
    return [...this.names.keys()];
  }

  /** The first canonical account domain: what a stream to an unknown name is answered from. */
  get first(): string {
    for (const [name, served] of this.names) if (served === name) return name;
    return 'localhost';
  }

  async add(domain: string): Promise<void> {
    const normalized = normalizeDomain(domain);
    await this.source.add(normalized);
    if (!this.names.has(normalized)) this.serve(normalized, normalized);
  }

  /** Re-read the stored list (domains and aliases added or removed by the CLI, the admin API or the suite's bus). */
  async refresh(): Promise<void> {
    const stored = await this.source.names();
    for (const [name, canonical] of stored) {
      const known = this.names.get(name);
      if (typeof known === 'object') continue; // a component holds the name
      if (known === undefined) this.serve(name, canonical);
      else this.names.set(name, canonical);
    }
    for (const [name, served] of [...this.names]) {
      if (typeof served === 'string' && !stored.has(name)) this.stopServing(name, 'account');
    }
  }

  /** Serve a component's domain from now on; throws if the name is taken. */
  addComponent(component: Component): void {
    const name = normalizeDomain(component.name);
    if (this.names.has(name)) throw new Error(`${name} is already served here`);
    const served = this.placement(component);
    this.served.set(component, served);
    this.serve(name, served);
  }

  /** Components added from now on are served through `placement` (set before the modules load). */
  placeComponents(placement: (component: Component) => Component): void {
    this.placement = placement;
  }

  /** Only the component itself leaves: another component since given the name keeps it. */
  removeComponent(component: Component): void {
    const name = normalizeDomain(component.name);
    if (this.names.get(name) === (this.served.get(component) ?? component)) this.stopServing(name, 'component');
  }

  private serve(name: string, served: ServedName): void {
    this.names.set(name, served);
    void this.hub.emit('host-added', { name, kind: typeof served === 'string' ? 'account' : 'component' });
  }

  private stopServing(name: string, kind: 'account' | 'component'): void {
    this.names.delete(name);
    void this.hub.emit('host-removed', { name, kind });
  }
}
