// The configuration beyond its schema (config.ts already refused a malformed one): each feature
// module's options through the module's own schema (a bad value would stop the start), option
// blocks naming no module, and settings that are legal but worth a second look.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { AnyModuleDefinition } from '../core/module-api.ts';
import { readModuleOptions } from '../core/module-host.ts';
import { Findings, errorText } from './finding.ts';

export function checkConfig(config: Config, modules: readonly AnyModuleDefinition[], source: string): Findings {
  const found = new Findings('config');
  found.ok(`the configuration (${source}) is valid (domains: ${config.domains.join(', ') || 'none'})`);
  for (const definition of modules) {
    if (!definition.options) continue;
    try {
      readModuleOptions(definition, config);
    } catch (error) {
      found.problem(errorText(error), `correct modules.${definition.name} in the configuration file (the server refuses to start with it)`);
    }
  }
  const known = new Set(modules.map((definition) => definition.name));
  for (const name of Object.keys(config.modules)) {
    if (!known.has(name)) {
      found.warning(`modules.${name} names no module of this build (${[...known].join(', ')})`, 'remove it or correct the name: its options are ignored');
    }
  }
  if (config.c2s.allowPlaintextOnLoopback) {
    found.warning('c2s.allowPlaintextOnLoopback is on: clients on this machine may sign in without TLS',
      'turn it off unless this is a benchmark or test set-up');
  }
  if (!existsSync(join(config.http.webClientDir, 'index.html'))) {
    found.warning(`the web client is not built (${config.http.webClientDir} has no index.html): / answers 404`,
      'run `npm run build -w @parley/webclient` (npm ci does it)');
  }
  if (!config.admin.token && !config.admin.jwt && !config.admin.accounts.enabled) found.note('the admin API is off (no admin.token, admin.jwt or admin.accounts): administration by this CLI only');
  return found;
}
