// XEP-0030 service discovery data: features and identities of the server and of accounts, filled by
// the modules that handle them (never a hand-kept list); modules/disco.ts answers the queries.
import type { Element, JID } from '@parley/shared';

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}

/** Items an account offers to a requester (XEP-0030 §4; XEP-0060 §5.2: a PEP service's nodes), for a disco node or the top level. */
export type AccountItemsProvider = (request: { owner: JID; requester: JID; node: string | undefined }) => Promise<Element[]>;

/** disco#info of one of an account's nodes (XEP-0060 §5.3): the <query/>'s children, or null when the node is not this provider's. */
export type AccountNodeInfoProvider = (request: { owner: JID; requester: JID; node: string }) => Promise<Element[] | null>;

/** XEP-0030 §4.1 item. */
export interface DiscoItem {
  jid: string;
  name?: string;
  node?: string;
}

export class DiscoRegistry {
  /** What served domains list in disco#items (the MUC service…). */
  private readonly domainItemProviders: Array<(domain: string) => readonly DiscoItem[]> = [];
  private readonly nodeInfoProviders: AccountNodeInfoProvider[] = [];

  addAccountNodeInfo(provider: AccountNodeInfoProvider): void {
    this.nodeInfoProviders.push(provider);
  }

  accountNodeInfoProviders(): readonly AccountNodeInfoProvider[] {
    return this.nodeInfoProviders;
  }

  private readonly server = new Set<string>();
  private readonly account = new Set<string>();
  private readonly identities: DiscoIdentity[] = [];
  private readonly ofAccounts: DiscoIdentity[] = [];
  private readonly itemProviders: AccountItemsProvider[] = [];

  addAccountIdentity(identity: DiscoIdentity): void {
    this.ofAccounts.push(identity);
  }

  accountIdentities(): readonly DiscoIdentity[] {
    return this.ofAccounts;
  }

  addAccountItems(provider: AccountItemsProvider): void {
    this.itemProviders.push(provider);
  }

  accountItemProviders(): readonly AccountItemsProvider[] {
    return this.itemProviders;
  }

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
    this.domainItemProviders.push(provider);
  }

  /** What the domain lists in disco#items, from every provider. */
  serverItems(domain: string): DiscoItem[] {
    return this.domainItemProviders.flatMap((provider) => provider(domain));
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
