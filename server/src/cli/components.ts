// `parley component add|list|del`: external components (XEP-0114) kept in the state storage, beside
// the ones in the configuration (components.services). A running server reads them at each
// handshake; its component port opens at start when any component is configured or stored.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { normalizeDomain } from '@parley/shared';
import type { Config } from '../config.ts';
import type { DataStores } from '../data-folder.ts';
import { AdminError } from './accounts.ts';
import { MIN_COMPONENT_SECRET_LENGTH, StoredComponents } from '../stream/component-secrets.ts';

export function registerComponentCommands(program: Command, withData: (work: (data: DataStores) => Promise<void>) => Promise<void>,
  config: () => Config): void {
  const component = program.command('component').description('manage external components (XEP-0114: gateways, bots)');
  component.command('add <domain>').description('let a component serve DOMAIN; prints the secret it must use unless --secret is given')
    .option('--secret <secret>', `the shared secret (at least ${MIN_COMPONENT_SECRET_LENGTH} characters; default: a random one)`)
    .action((name: string, options: { secret?: string }) => withData(async (data) => {
      const domain = domainName(name);
      if ((await data.directory.domains.names()).has(domain)) throw new AdminError(`${domain} is a served domain; a component needs a name of its own`);
      if (options.secret !== undefined && options.secret.length < MIN_COMPONENT_SECRET_LENGTH) {
        throw new AdminError(`a component secret needs at least ${MIN_COMPONENT_SECRET_LENGTH} characters`);
      }
      const secret = options.secret ?? randomBytes(24).toString('base64url');
      await new StoredComponents(data.storage).set(domain, { secret });
      console.log(`component ${domain} added${options.secret === undefined ? `; its secret: ${secret}` : ''}`);
      console.log(`it connects to port ${config().components.port} on ${config().components.bind}`);
    }));
  component.command('list').description('list the components: stored, and those in the configuration').action(() => withData(async (data) => {
    for (const domain of await new StoredComponents(data.storage).domains()) console.log(domain);
    for (const domain of Object.keys(config().components.services)) console.log(`${normalizeDomain(domain)} (configuration)`);
  }));
  component.command('del <domain>').description('remove a stored component (its next connection is refused)')
    .action((name: string) => withData(async (data) => {
      const domain = domainName(name);
      if (!(await new StoredComponents(data.storage).delete(domain))) throw new AdminError(`no stored component ${domain}`);
      console.log(`component ${domain} removed`);
    }));
}

function domainName(name: string): string {
  try {
    return normalizeDomain(name);
  } catch (error) {
    throw new AdminError(`${name} is not a domain name: ${(error as Error).message}`);
  }
}
