// `parley` command line: start the server, manage domains and users.
import { Command, Option } from 'commander';
import { createInterface } from 'node:readline';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openDataStores, type DataStores } from '../data-folder.ts';
import { AdminError, addDomain, deleteUser, offlineAdmin, setPassword } from './accounts.ts';
import { registerDirectoryCommands } from './directory.ts';
import type { AdminService } from '../admin/service.ts';
import { registerArchiveCommands } from './archive.ts';
import { findInvalidNames } from '../admin/name-check.ts';
import { registerCertificateCommands } from './certificates.ts';
import { registerDnsCheckCommand } from './dns-check.ts';
import { registerCheckCommand } from './check.ts';
import { registerComponentCommands } from './components.ts';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';

const program = new Command('parley')
  .description('Parley XMPP server')
  .addOption(new Option('--data <dir>', 'data folder (default: $PARLEY_DATA or ./data)'))
  .option('--config <file>', 'JSON configuration file');

program.command('start').description('run the server')
  .option('--workers <n>', 'processes behind the same ports, one per core (default: $PARLEY_WORKERS or the number of cores; 1: a single process)')
  .action(async (options: { workers?: string }) => {
  const config = loadConfig({ file: program.opts().config, dataDir: program.opts().data });
  let log = createLogger(config.log.level);
  // loaded here, not at the top: the admin commands start faster without the server's modules
  const [{ ParleyServer }, { ListenError }, workers] = await Promise.all([
    import('../server.ts'), import('../net/listen-error.ts'), import('../cluster/workers.ts'),
  ]);
  const count = workerCount(options.workers ?? process.env.PARLEY_WORKERS);
  if (!workers.isWorker() && count > 1) {
    try {
      return await workers.runPrimary(config, log, count);
    } catch (error) {
      if (!(error instanceof ListenError)) throw error;
      console.error(`parley: ${error.message}`);
      process.exit(1);
    }
  }
  const startOptions: Parameters<typeof ParleyServer.start>[2] = {};
  if (workers.isWorker()) {
    // a worker of `--workers N` (cluster/workers.ts): a node of its own, on the primary's bus unless NATS is configured
    const index = Number(process.env[workers.WORKER_INDEX_ENV]);
    config.node.index += index;
    config.cluster.nodeName = workers.workerNodeName(config, index);
    log = log.child({ worker: index });
    startOptions.sharedPorts = true;
    const meshAddress = process.env[workers.MESH_ADDRESS_ENV];
    if (!config.cluster.nats && meshAddress) {
      const { SocketClusterBus } = await import('../cluster/socket-bus.ts');
      const meshLog = log.child({ component: 'cluster' });
      startOptions.clusterBus = (node) => new SocketClusterBus(node, meshAddress, process.env[workers.MESH_SECRET_ENV]!, meshLog);
    } else if (!config.cluster.nats) {
      const { IpcClusterBus } = await import('../cluster/ipc-bus.ts');
      startOptions.clusterBus = (node) => new IpcClusterBus(node);
    }
  }
  // The signals are taken before the start: one that comes while the server starts, or the moment
  // it says "listening", stops it once it is up (every stream ended, the group commit flushed)
  // instead of ending the process at once; a second one while it starts ends the process.
  let server: Awaited<ReturnType<typeof ParleyServer.start>> | null = null;
  let stopAsked: string | null = null;
  let stopping = false;
  const stop = (signal: string) => {
    if (server === null) {
      if (stopAsked !== null) process.exit(1);
      stopAsked = signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    server.stop().then(() => process.exit(0), (error: unknown) => {
      log.error({ err: error }, 'stop failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    server = await ParleyServer.start(config, log, startOptions);
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    // one line that says which port and which setting, not a stack trace
    console.error(`parley: ${error.message}`);
    process.exit(1);
  }
  if (stopAsked !== null) return stop(stopAsked);
  if (workers.isWorker()) {
    workers.reportListening(server.ports);
    workers.stopWithPrimary(() => stop('primary gone'));
  }
  if (config.domains.length) {
    const users = await server.storage.accounts.listByDomain(server.hosts.first).catch((error: unknown) => {
      if (stopping) return null; // the storage closed under the query
      throw error;
    });
    if (users?.length === 0 && !stopping) log.info(`No users yet. Add one with: npx parley user add alice@${server.hosts.first} --password 'a secret'`);
  }
});

/** --workers: a whole number from 1 up; default the cores this process may use. */
function workerCount(value: string | undefined): number {
  if (value === undefined || value === '') return availableParallelism();
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    console.error(`parley: --workers must be a whole number from 1 to 16, not ${value}`);
    process.exit(1);
  }
  return count;
}

const domain = program.command('domain').description('manage served domains');
domain.command('add <domain>').description('serve a domain (IM for everyone unless --im-access restricted)')
  .option('--alias <alias>', 'another name of the domain (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
  .option('--im-access <mode>', "'everyone' (default) or 'restricted' (the IM role is needed)")
  .action((name: string, options: { alias?: string[]; imAccess?: string }) =>
    withData(async (data) => {
      if (options.imAccess !== undefined && options.imAccess !== 'everyone' && options.imAccess !== 'restricted') {
        throw new AdminError("--im-access is 'everyone' or 'restricted'");
      }
      const added = options.alias || options.imAccess
        ? await offlineAdmin(data).addDomain(name, { aliases: options.alias, im: { access: options.imAccess as 'everyone' | 'restricted' | undefined } })
        : await addDomain(data, name);
      console.log(added ? `domain ${name} added` : `domain ${name} was already served`);
    }));
domain.command('list').description('list served domains').action(() =>
  withData(async (data) => {
    for (const served of await data.directory.domains.list()) console.log(served.name);
  }));

const user = program.command('user').description('manage user accounts');
user.command('add <jid>').description('create an account')
  .option('--password <password>', 'the password (asked for when left out)')
  .option('--no-password', 'no local password: the user logs in by single sign-on or through the core')
  .option('--name <name>', 'full name')
  .option('--email <address>', 'another email address of the user (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
  .action((jid: string, options: { password?: string | false; name?: string; email?: string[] }) =>
    withData(async (data) => {
      const password = options.password === false ? undefined : (options.password ?? (await askPassword()));
      const bare = await offlineAdmin(data).addUser(jid, { password: password ?? undefined, displayName: options.name ?? null, emails: options.email });
      console.log(`user ${bare} added`);
    }));
user.command('passwd <jid>').description("change an account's password")
  .option('--password <password>', 'the new password (asked for when left out)')
  .action((jid: string, options: { password?: string }) =>
    withData(async (data) => {
      await setPassword(data, jid, options.password ?? (await askPassword()));
      console.log(`password of ${jid} changed`);
    }));
user.command('del <jid>').description('delete an account and its data').action((jid: string) =>
  withData(async (data) => {
    await deleteUser(data, jid);
    console.log(`user ${jid} deleted`);
  }));

user.command('check').description('list accounts, addresses and domains whose names are not valid JIDs (RFC 7622: PRECIS, IDNA2008); exit status 1 if any')
  .action(() => withData(async (data) => {
    const problems = await findInvalidNames(data.directory);
    for (const { kind, name, problem } of problems) console.log(`${kind} ${visible(name)}: ${problem}`);
    if (problems.length === 0) return console.log('every name is a valid JID');
    console.error(`parley: ${problems.length} name${problems.length === 1 ? '' : 's'} to fix (rename or delete those accounts)`);
    process.exitCode = 1;
  }));

registerDirectoryCommands(program, domain, user, (work: (admin: AdminService) => Promise<void>) =>
  withData((data) => work(offlineAdmin(data))));

registerArchiveCommands(program, () => loadConfig({ file: program.opts().config, dataDir: program.opts().data, env: { ...process.env, PARLEY_LOG_LEVEL: 'silent' } }));

/** The configuration for commands that do not run the server (no log output). */
const quietConfig = () => loadConfig({ file: program.opts().config, dataDir: program.opts().data, env: { ...process.env, PARLEY_LOG_LEVEL: 'silent' } });

/** Every served name, domains and aliases, as the directory has them. */
async function servedNames(): Promise<string[]> {
  const config = quietConfig();
  const data = await openDataStores(config.dataDir, config.storage);
  try {
    return [...(await data.directory.domains.names()).keys()];
  } finally {
    await data.close();
  }
}

registerCertificateCommands(program, { certsDir: () => join(quietConfig().dataDir, 'certs'), servedNames });
registerDnsCheckCommand(program, quietConfig);
registerCheckCommand(program);
registerComponentCommands(program, withData, quietConfig);

program.command('features').description('print the protocols this build implements (Markdown table)').action(async () => {
  const [{ defaultModules }, { featureTable }] = await Promise.all([import('../modules/index.ts'), import('./feature-table.ts')]);
  console.log(featureTable(defaultModules));
});

async function withData(work: (data: DataStores) => Promise<void>): Promise<void> {
  const config = loadConfig({ file: program.opts().config, dataDir: program.opts().data, env: { ...process.env, PARLEY_LOG_LEVEL: 'silent' } });
  const data = await openDataStores(config.dataDir, config.storage);
  try {
    await work(data);
  } catch (error) {
    if (!(error instanceof AdminError || (error instanceof Error && error.name === 'InvalidJidError'))) throw error;
    console.error(`parley: ${error.message}`);
    process.exitCode = 1;
  } finally {
    await data.close();
  }
}

/** A name with its invisible characters (format, control, unassigned, odd spaces) shown as \u{…}. */
function visible(name: string): string {
  return name.replace(/[\p{C}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

/** Read a password from the terminal without echo, or one line from piped input. */
function askPassword(): Promise<string> {
  return new Promise((resolve) => {
    const input = process.stdin;
    const rl = createInterface({ input, output: process.stderr, terminal: input.isTTY });
    if (input.isTTY) {
      process.stderr.write('Password: ');
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
    }
    rl.once('line', (line) => {
      resolve(line);
      if (input.isTTY) process.stderr.write('\n');
      rl.close();
    });
    rl.once('close', () => resolve(''));
  });
}

await program.parseAsync(process.argv);
