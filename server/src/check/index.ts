// `parley check` (as `prosodyctl check`): every area of a set-up looked at in turn, from the
// configuration to the outside services; the CLI prints the findings (cli/check.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeDomain } from '@parley/shared';
import type { Config } from '../config.ts';
import type { AnyModuleDefinition } from '../core/module-api.ts';
import { openDataStores } from '../data-folder.ts';
import { DB_FILENAME } from '../storage/sqlite/database.ts';
import { trustedCertificatePems } from '../tls/trust.ts';
import { checkCertificates } from './certificates.ts';
import { checkConfig } from './config.ts';
import { checkDataFolder } from './data-folder.ts';
import { checkDns } from './dns.ts';
import type { Area, Finding } from './finding.ts';
import { checkPorts } from './ports.ts';
import { checkServices } from './services.ts';

export { AREAS, type Area, type Finding, type Severity } from './finding.ts';

export interface CheckOptions {
  /** where the configuration came from, for the first line ("the defaults", a file name) */
  source: string;
  modules: readonly AnyModuleDefinition[];
  skip: ReadonlySet<Area>;
  /** DNS: connect to each SRV target too */
  connect: boolean;
  timeoutMs: number;
}

export async function runChecks(config: Config, options: CheckOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const run = async (area: Area, check: () => Promise<{ list: Finding[] }> | { list: Finding[] }) => {
    if (!options.skip.has(area)) findings.push(...(await check()).list);
  };
  await run('config', () => checkConfig(config, options.modules, options.source));
  await run('data', () => checkDataFolder(config.dataDir));
  const { names, domains } = await servedNames(config);
  const certsDir = join(config.dataDir, 'certs');
  await run('ports', () => checkPorts(config, { certsDir, domain: domains[0] ?? 'localhost', timeoutMs: options.timeoutMs }));
  await run('certificates', () => checkCertificates(certsDir, names, trustedCertificatePems(config.s2s.trustedCaFile)));
  await run('dns', () => checkDns(config, names, { connect: options.connect, timeoutMs: options.timeoutMs }));
  await run('services', () => checkServices(config, options.timeoutMs));
  return findings;
}

/**
 * The served names as the directory has them (domains first, then aliases), or the configured
 * domains when the data folder has no database yet (the check creates nothing).
 */
async function servedNames(config: Config): Promise<{ names: string[]; domains: string[] }> {
  // the check creates nothing: no database file yet, or a PostgreSQL it only probes (services)
  if (config.storage.backend === 'postgres' || !existsSync(join(config.dataDir, DB_FILENAME))) {
    const domains = config.domains.map((domain) => normalizeDomain(domain));
    return { names: domains, domains };
  }
  const data = await openDataStores(config.dataDir, config.storage);
  try {
    const names = await data.directory.domains.names();
    const domains = [...new Set(names.values())];
    const ordered = [...config.domains.map((domain) => normalizeDomain(domain)).filter((domain) => domains.includes(domain)), ...domains];
    const uniqueDomains = [...new Set(ordered)];
    return { names: [...uniqueDomains, ...[...names.keys()].filter((name) => !uniqueDomains.includes(name))], domains: uniqueDomains };
  } finally {
    await data.close();
  }
}
