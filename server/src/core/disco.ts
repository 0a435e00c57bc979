// XEP-0030 service discovery data: features and identities of the server and of accounts, filled by
// the modules that handle them (never a hand-kept list); modules/disco.ts answers the queries.

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}

export class DiscoRegistry {
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
