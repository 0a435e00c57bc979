// `parley check`: a line per finding — ok, note, warning, problem — with what to do under each
// warning and problem; exit status 1 when there is a problem (server/src/check/).
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.ts';
// the checks (DNS, TLS, the data folder…) load when `check` runs, not with every parley command
import { AREAS, type Area, type Finding } from '../check/finding.ts';

const LABEL_WIDTH = 9;
const AREA_WIDTH = 13;

export function registerCheckCommand(program: Command): void {
  program.command('check')
    .description(`look at the set-up (${AREAS.join(', ')}) and say what to fix; exit status 1 on a problem`)
    .option('--skip <areas>', `comma-separated areas not to check (${AREAS.join(', ')})`)
    .option('--connect', 'dns: also connect to every SRV target and look at its certificate')
    .option('--timeout <ms>', 'how long a port, DNS server or service may take to answer', '3000')
    .action(async (options: { skip?: string; connect?: boolean; timeout: string }) => {
      const skip = new Set<Area>();
      for (const name of (options.skip ?? '').split(',').map((entry) => entry.trim()).filter(Boolean)) {
        if (!(AREAS as readonly string[]).includes(name)) {
          console.error(`parley: --skip takes ${AREAS.join(', ')}; not ${name}`);
          process.exitCode = 2;
          return;
        }
        skip.add(name as Area);
      }
      const { config: file, data } = program.opts<{ config?: string; data?: string }>();
      const source = file ?? 'built-in defaults';
      let config: Config;
      try {
        config = loadConfig({ file, dataDir: data, env: { ...process.env, PARLEY_LOG_LEVEL: 'silent' } });
      } catch (error) {
        print([{ area: 'config', severity: 'problem', text: `${source} cannot be used: ${configError(error)}`, fix: 'correct the file (JSON, the keys in docs/running.md "Configuration file"); the server refuses to start with it' }]);
        process.exitCode = 1;
        return;
      }
      console.log(`parley check: configuration from ${source}, data folder ${config.dataDir}`);
      const [{ defaultModules }, { runChecks }] = await Promise.all([import('../modules/index.ts'), import('../check/index.ts')]);
      const timeoutMs = Math.max(100, Number(options.timeout) || 3000);
      const findings = await runChecks(config, { source, modules: defaultModules, skip, connect: options.connect ?? false, timeoutMs });
      print(findings);
      const problems = findings.filter((finding) => finding.severity === 'problem').length;
      const warnings = findings.filter((finding) => finding.severity === 'warning').length;
      console.log(problems + warnings === 0 ? 'no problem found' : `${count(problems, 'problem')}, ${count(warnings, 'warning')}`);
      if (problems > 0) process.exitCode = 1;
    });
}

function print(findings: Finding[]): void {
  for (const finding of findings) {
    console.log(`${finding.severity.padEnd(LABEL_WIDTH)}${finding.area.padEnd(AREA_WIDTH)}${finding.text}`);
    if (finding.fix) console.log(`${' '.repeat(LABEL_WIDTH + AREA_WIDTH)}→ ${finding.fix}`);
  }
}

/** A zod error lists each bad key; a file error says which file and why. */
function configError(error: unknown): string {
  const issues = (error as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues;
  if (issues) return issues.map((issue) => `${issue.path.map(String).join('.') || '(top)'}: ${issue.message}`).join('; ');
  return error instanceof Error ? error.message : String(error);
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
