// `parley component add|list|del`: external components (XEP-0114) through the admin service
// (admin/components.ts), as the admin API and the console do. They are kept in the state storage,
// beside the ones in the configuration (components.services); a running server takes a change at
// once through the event log (its component port opens for a first one; a removed one is disconnected).
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import type { DataStores } from '../data-folder.ts';
import { offlineAdmin } from './accounts.ts';
import { MIN_COMPONENT_SECRET_LENGTH } from '../stream/component-secrets.ts';

export function registerComponentCommands(program: Command, withData: (work: (data: DataStores) => Promise<void>) => Promise<void>,
  config: () => Config): void {
  const admin = (data: DataStores) => offlineAdmin(data, Object.keys(config().components.services)).components;
  const component = program.command('component').description('manage external components (XEP-0114: gateways, bots)');
  component.command('add <domain>').description('let a component serve DOMAIN; prints the secret it must use unless --secret is given')
    .option('--secret <secret>', `the shared secret (at least ${MIN_COMPONENT_SECRET_LENGTH} characters; default: a random one)`)
    .action((name: string, options: { secret?: string }) => withData(async (data) => {
      const added = await admin(data).add(name, options.secret);
      console.log(`component ${added.domain} added${added.generated ? `; its secret: ${added.secret}` : ''}`);
      console.log(`it connects to port ${config().components.port} on ${config().components.bind}`);
    }));
  component.command('list').description('list the components (stored, and those of the configuration) and where each is connected')
    .action(() => withData(async (data) => {
      for (const { domain, source, connection } of await admin(data).list()) {
        const from = source === 'configuration' ? ' (configuration)' : '';
        const where = connection ? `  connected to ${connection.node} since ${connection.connectedSince} from ${connection.address}` : '';
        console.log(`${domain}${from}${where}`);
      }
    }));
  component.command('del <domain>').description('remove a stored component (a running server disconnects it; its next connection is refused)')
    .action((name: string) => withData(async (data) => {
      await admin(data).remove(name);
      console.log(`component ${name} removed`);
    }));
}
