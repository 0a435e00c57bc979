// XEP-0030 service discovery data: features and identities of the server and of accounts, filled by
// the modules that handle them (never a hand-kept list); the server's items (components, services)
// and nodes (XEP-0050's commands) come from the modules that own them; modules/disco.ts answers the
// queries.
import type { Element, JID } from '@parley/shared';

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}

export interface DiscoItem {
  jid: string;
  node?: string;
  name?: string;
}

/** Items of the server `to` (a served domain) for the requester `from`. */
export type DiscoItemsProvider = (from: JID, to: JID) => DiscoItem[];

/** A disco node of the server (XEP-0030 §3.2, §4.2): its info and items for a requester. */
export interface DiscoNode {
  info?(from: JID, to: JID): { identities: DiscoIdentity[]; features: string[]; extensions?: Element[] };
  items?(from: JID, to: JID): DiscoItem[];
}

export class DiscoRegistry {
  private readonly server = new Set<string>();
  private readonly account = new Set<string>();
  private readonly identities: DiscoIdentity[] = [];
  private readonly itemProviders: DiscoItemsProvider[] = [];
  private readonly nodes = new Map<string, DiscoNode>();

  addServerFeature(namespace: string): void {
    this.server.add(namespace);
  }

  addAccountFeature(namespace: string): void {
    this.account.add(namespace);
  }

  addIdentity(identity: DiscoIdentity): void {
    this.identities.push(identity);
  }

  addItems(provider: DiscoItemsProvider): void {
    this.itemProviders.push(provider);
  }

  addNode(node: string, handler: DiscoNode): void {
    if (this.nodes.has(node)) throw new Error(`disco node ${node} is already served`);
    this.nodes.set(node, handler);
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

  serverItems(from: JID, to: JID): DiscoItem[] {
    return this.itemProviders.flatMap((provider) => provider(from, to));
  }

  serverNode(node: string): DiscoNode | undefined {
    return this.nodes.get(node);
  }
}
