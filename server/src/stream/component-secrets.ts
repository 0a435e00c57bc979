// Where external components' secrets (XEP-0114 §3) come from: the configuration
// (components.services), then the components an admin added with `parley component add`, kept in
// the state storage (a named key-value store), so every node of a cluster sees the same ones. Both
// are read at each handshake: a component added or removed takes effect at its next connection.
import { normalizeDomain } from '@parley/shared';
import type { Config } from '../config.ts';
import type { KeyValueStore, StateStores } from '../storage/index.ts';

export interface ComponentSecrets {
  /** The secret of the component serving `domain`, or undefined when no such component is configured. */
  secretFor(domain: string): string | undefined | Promise<string | undefined>;
}

/** A stored component: its secret (in clear: the handshake needs it, XEP-0114 §3). */
export interface StoredComponent {
  secret: string;
}

/** The shortest secret accepted (the configuration's floor too). */
export const MIN_COMPONENT_SECRET_LENGTH = 16;

/** The state storage's store of components: owner '' (the server), one key per component domain. */
const OWNER = '';

export class StoredComponents {
  private readonly store: KeyValueStore<StoredComponent>;

  constructor(storage: Pick<StateStores, 'keyValue'>) {
    this.store = storage.keyValue.open<StoredComponent>('components');
  }

  async get(domain: string): Promise<StoredComponent | undefined> {
    return this.store.get(OWNER, normalizeDomain(domain));
  }

  async set(domain: string, component: StoredComponent): Promise<void> {
    if (component.secret.length < MIN_COMPONENT_SECRET_LENGTH) {
      throw new RangeError(`a component secret needs at least ${MIN_COMPONENT_SECRET_LENGTH} characters`);
    }
    await this.store.set(OWNER, normalizeDomain(domain), component);
  }

  async delete(domain: string): Promise<boolean> {
    return this.store.delete(OWNER, normalizeDomain(domain));
  }

  async domains(): Promise<string[]> {
    return (await this.store.list(OWNER)).map((entry) => entry.key);
  }
}

/** The configured components first (config.components.services), then the stored ones. */
export function componentSecrets(services: Config['components']['services'], stored: StoredComponents | null): ComponentSecrets {
  const configured = new Map(Object.entries(services).map(([domain, { secret }]) => [normalizeDomain(domain), secret]));
  return {
    secretFor: (domain) => configured.get(domain) ?? stored?.get(domain).then((component) => component?.secret),
  };
}
