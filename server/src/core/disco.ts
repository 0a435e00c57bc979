// XEP-0030 service discovery data: features and identities of the server and of accounts, filled by
// the modules that handle them (never a hand-kept list); modules/disco.ts answers the queries.

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}

/** XEP-0030 §4.1 item. */
export interface DiscoItem {
  jid: string;
  name?: string;
  node?: string;
}

export class DiscoRegistry {
  private readonly itemProviders: Array<(domain: string) => readonly DiscoItem[]> = [];
  private readonly server = new Set<string>();
  private readonly account = new Set<string>();
  private readonly identities: DiscoIdentity[] = [];

  addServerFeature(namespace: string): void {
    this.server.add(namespace);
  }

  addAccountFeature(namespace: string): void {
    this.account.add(namespace);
  }

  addIdentity(identity: DiscoIdentity): void {
    this.identities.push(identity);
  }

  addItems(provider: (domain: string) => readonly DiscoItem[]): void {
    this.itemProviders.push(provider);
  }

  /** What the domain lists in disco#items, from every provider. */
  serverItems(domain: string): DiscoItem[] {
    return this.itemProviders.flatMap((provider) => provider(domain));
  }

  /** Sorted, as disco#info lists them. */
  serverFeatures(): string[] {
    return [...this.server].sort();
  }

  accountFeatures(): string[] {
    return [...this.account].sort();
  }

  serverIdentities(): readonly DiscoIdentity[] {
    return this.identities;
  }
}
