// XEP-0030 service discovery data, filled by the modules that handle it (never a hand-kept list);
// modules/disco.ts answers the queries. Two kinds of entity are answered here: a served domain
// (the server, §3.1) and a local account's bare JID (RFC 6121 §8.5.1). Each has its features and
// identities, and one list of providers for the rest: the items it lists (the domain's MUC and
// upload services, an account's PEP nodes) and its nodes (XEP-0050's commands on the domain, a PEP
// node's disco#info on the account).
import type { Element, JID } from '@parley/shared';

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

/** A node's disco#info (§3.2): its identities, features and XEP-0128 extension forms. */
export interface DiscoInfo {
  identities: DiscoIdentity[];
  features: string[];
  extensions?: Element[];
}

/** What a disco request is to: a served domain or an account's bare JID. */
export type DiscoEntity = 'domain' | 'account';

export interface DiscoRequest {
  readonly requester: JID;
  /** The canonical served domain (an alias's domain), or the account's bare JID. */
  readonly entity: JID;
  /** The node asked about, or undefined for the entity itself. */
  readonly node: string | undefined;
}

export type DiscoNodeRequest = DiscoRequest & { readonly node: string };

type Answer<T> = T | Promise<T>;

/**
 * What a module adds to one kind of entity's disco answers; each part is optional. A provider
 * applies its own access rules (a PEP node is shown to those who may read it).
 */
export interface DiscoProvider {
  /** Items of the entity itself (§4.1): what the domain or the account lists. */
  items?(request: DiscoRequest): Answer<readonly DiscoItem[]>;
  /** Items of a node (§4.2); null when the node is not this provider's. */
  nodeItems?(request: DiscoNodeRequest): Answer<readonly DiscoItem[] | null>;
  /** disco#info of a node (§3.2); null when the node is not this provider's. */
  nodeInfo?(request: DiscoNodeRequest): Answer<DiscoInfo | null>;
}

export class DiscoRegistry {
  private readonly server = new Set<string>();
  private readonly account = new Set<string>();
  private readonly identities: DiscoIdentity[] = [];
  private readonly ofAccounts: DiscoIdentity[] = [];
  private readonly providers: Record<DiscoEntity, DiscoProvider[]> = { domain: [], account: [] };

  addServerFeature(namespace: string): void {
    this.server.add(namespace);
  }

  addAccountFeature(namespace: string): void {
    this.account.add(namespace);
  }

  addIdentity(identity: DiscoIdentity): void {
    this.identities.push(identity);
  }

  addAccountIdentity(identity: DiscoIdentity): void {
    this.ofAccounts.push(identity);
  }

  addProvider(entity: DiscoEntity, provider: DiscoProvider): void {
    this.providers[entity].push(provider);
  }

  /** Whether any module lists items or nodes for this kind of entity. */
  hasProviders(entity: DiscoEntity): boolean {
    return this.providers[entity].length > 0;
  }

  /** The items of the entity or of one of its nodes, from every provider; null when no provider has the node. */
  async items(entity: DiscoEntity, request: DiscoRequest): Promise<DiscoItem[] | null> {
    const found: DiscoItem[] = [];
    let known = request.node === undefined;
    for (const provider of this.providers[entity]) {
      const items = request.node === undefined
        ? await provider.items?.(request)
        : await provider.nodeItems?.(request as DiscoNodeRequest);
      if (!items) continue;
      known = true;
      found.push(...items);
    }
    return known ? found : null;
  }

  /** disco#info of a node: the first provider that has it, or null. */
  async nodeInfo(entity: DiscoEntity, request: DiscoNodeRequest): Promise<DiscoInfo | null> {
    for (const provider of this.providers[entity]) {
      const info = await provider.nodeInfo?.(request);
      if (info) return info;
    }
    return null;
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

  accountIdentities(): readonly DiscoIdentity[] {
    return this.ofAccounts;
  }
}
