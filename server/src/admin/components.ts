// External components (XEP-0114) as the admin sees them: the ones in the configuration
// (components.services, read-only here) and the ones added at run time, kept in the state storage
// like other domain settings (stream/component-secrets.ts), so every node of a cluster takes them.
// Adding or removing one is announced (component.changed): a running server opens its component
// port if it was closed, and ends a removed component's stream (RFC 6120 §4.9.3.5 host-gone). The
// admin API, the CLI and the console go through here.
import { randomBytes } from 'node:crypto';
import { InvalidJidError, normalizeDomain } from '@parley/shared';
import type { StateStores } from '../storage/index.ts';
import type { Directory } from '../directory/types.ts';
import type { SuiteEventPublisher } from '../directory/suite-events.ts';
import { MIN_COMPONENT_SECRET_LENGTH, StoredComponents } from '../stream/component-secrets.ts';
import { ComponentConnectionRecords, type ComponentConnectionRecord } from '../components/component-connections.ts';
import { AdminError } from './errors.ts';

export interface ComponentListing {
  domain: string;
  /** 'configuration': components.services (changed by editing the file); 'stored': added by an admin. */
  source: 'configuration' | 'stored';
  /** The node it is connected to, since when, from where (any node's); null when not connected. */
  connection: ComponentConnectionRecord | null;
}

export interface AddedComponent {
  domain: string;
  /** The secret the component must prove (the one given, or a generated one). */
  secret: string;
  generated: boolean;
}

export class AdminComponents {
  private readonly stored: StoredComponents;
  private readonly records: ComponentConnectionRecords;
  private readonly configured: Set<string>;

  constructor(storage: Pick<StateStores, 'keyValue'>, private readonly directory: Directory, private readonly events: SuiteEventPublisher,
    configured: readonly string[]) {
    this.stored = new StoredComponents(storage);
    this.records = new ComponentConnectionRecords(storage);
    this.configured = new Set(configured.map((domain) => normalizeDomain(domain)));
  }

  async list(): Promise<ComponentListing[]> {
    const connections = await this.records.all();
    const entry = (domain: string, source: ComponentListing['source']): ComponentListing => ({ domain, source, connection: connections.get(domain) ?? null });
    const listing = [...this.configured].map((domain) => entry(domain, 'configuration'));
    for (const domain of await this.stored.domains()) if (!this.configured.has(domain)) listing.push(entry(domain, 'stored'));
    return listing.sort((a, b) => a.domain.localeCompare(b.domain));
  }

  /** Let a component serve `domainText` with `secret` (a random one when left out). */
  async add(domainText: string, secret?: string): Promise<AddedComponent> {
    const domain = this.domainName(domainText);
    if ((await this.directory.domains.names()).has(domain)) throw new AdminError(`${domain} is a served domain; a component needs a name of its own`, 'conflict');
    if (this.configured.has(domain)) throw new AdminError(`${domain} is a component of the configuration file`, 'conflict');
    if (await this.stored.get(domain)) throw new AdminError(`component ${domain} exists already; remove it first to change its secret`, 'conflict');
    if (secret !== undefined && secret.length < MIN_COMPONENT_SECRET_LENGTH) {
      throw new AdminError(`a component secret needs at least ${MIN_COMPONENT_SECRET_LENGTH} characters`);
    }
    const chosen = secret ?? randomBytes(24).toString('base64url');
    await this.stored.set(domain, { secret: chosen });
    await this.events.publish({ type: 'component.changed', domain });
    return { domain, secret: chosen, generated: secret === undefined };
  }

  /** Stop accepting the component; a connected one is disconnected. */
  async remove(domainText: string): Promise<void> {
    const domain = this.domainName(domainText);
    if (!(await this.stored.delete(domain))) {
      if (this.configured.has(domain)) throw new AdminError(`${domain} is a component of the configuration file; remove it there`, 'conflict');
      throw new AdminError(`no stored component ${domain}`, 'not-found');
    }
    await this.events.publish({ type: 'component.changed', domain });
  }

  private domainName(name: string): string {
    try {
      return normalizeDomain(name.trim());
    } catch (error) {
      throw new AdminError(`${JSON.stringify(name)} is not a domain name${error instanceof InvalidJidError ? `: ${error.message}` : ''}`);
    }
  }
}
