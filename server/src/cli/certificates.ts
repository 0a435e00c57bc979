// `parley cert check [DOMAIN]` and `parley cert import DIR`: the admin's view of the certs folder.
// A running server picks imported files up by itself (tls/certificates.ts watches the folder).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { inspectCertificate } from '../tls/certificate-check.ts';
import { findCertificate } from '../tls/certificate-files.ts';
import { normalizeDomain, writeAtomic } from '../tls/certificates.ts';
import { privateDirectory } from '../storage/private-files.ts';

/** Days before expiry from which `cert check` warns (certbot renews at 30). */
const EXPIRY_WARNING_DAYS = 14;

export interface CertificateCommandContext {
  certsDir: () => string;
  /** every served name (domains and aliases) */
  servedNames: () => Promise<string[]>;
}

export function registerCertificateCommands(program: Command, context: CertificateCommandContext): void {
  const cert = program.command('cert').description('TLS certificates in the certs folder');

  cert.command('check [domain]').description('print names, issuer, expiry and problems of the certificates served (exit status 1 on a problem)')
    .action(async (domain: string | undefined) => {
      const names = domain ? [domain] : await context.servedNames();
      let problems = 0;
      for (const name of names) problems += await checkOne(context.certsDir(), name);
      if (problems > 0) {
        console.error(`parley: ${problems} certificate problem${problems === 1 ? '' : 's'}`);
        process.exitCode = 1;
      }
    });

  cert.command('import <dir>').description("copy certbot-style certificates (<dir>/<domain>/fullchain.pem + privkey.pem, e.g. /etc/letsencrypt/live) for the served domains")
    .action(async (dir: string) => {
      const outcome = await importTree(context.certsDir(), dir, await context.servedNames());
      for (const line of outcome.lines) console.log(line);
      for (const line of outcome.errors) console.error(`parley: ${line}`);
      if (outcome.errors.length > 0 || outcome.imported === 0) process.exitCode = 1;
    });
}

/** Prints one domain's certificate; returns the number of problems. */
async function checkOne(certsDir: string, domain: string): Promise<number> {
  let name: string;
  try {
    name = normalizeDomain(domain);
  } catch (error) {
    console.log(`${domain}\n  problem:  ${(error as Error).message}`);
    return 1;
  }
  const found = await findCertificate(certsDir, name);
  if (found.status === 'missing') {
    console.log(`${name}\n  no certificate yet: the server generates a self-signed one when it starts serving ${name}`);
    return 0;
  }
  if (found.status === 'incomplete') {
    console.log(`${name}\n  problem:  ${found.missing} is missing`);
    return 1;
  }
  const { report, problems } = inspectCertificate(found.cert, found.key, name);
  console.log(`${name}  ${found.source.certPath}`);
  if (report) {
    const daysLeft = Math.floor((report.validTo.getTime() - Date.now()) / 86_400_000);
    console.log(`  names:    ${report.names.join(', ')}`);
    console.log(`  issuer:   ${report.issuer}${report.selfSigned ? ' (self-signed)' : ''}`);
    console.log(`  valid:    ${report.validFrom.toISOString()} to ${report.validTo.toISOString()} (${daysLeft} days left)`);
    console.log(`  sha256:   ${report.fingerprint256}`);
    if (report.selfSigned) console.log('  note:     self-signed: clients warn, and other servers accept it only with dialback');
    if (daysLeft >= 0 && daysLeft < EXPIRY_WARNING_DAYS) console.log(`  warning:  expires in ${daysLeft} days`);
  }
  for (const problem of problems) console.log(`  problem:  ${problem}`);
  if (problems.length === 0) console.log('  ok');
  return problems.length;
}

interface ImportOutcome {
  imported: number;
  lines: string[];
  errors: string[];
}

interface Candidate {
  folder: string;
  cert: string;
  key: string;
}

/**
 * For every served name: the folder of the same name in `dir`, else a folder whose certificate
 * covers the name (certbot names a folder after the certificate's first domain), the one valid
 * longest; checked like a reload would check it, then written as `<certs>/<name>/fullchain.pem`
 * and `privkey.pem` (symlinks, as in /etc/letsencrypt/live, are read through).
 */
export async function importTree(certsDir: string, dir: string, servedNames: string[]): Promise<ImportOutcome> {
  const outcome: ImportOutcome = { imported: 0, lines: [], errors: [] };
  const candidates = readCandidates(dir);
  if (candidates.length === 0) {
    outcome.errors.push(`no <domain>/fullchain.pem + privkey.pem under ${dir}`);
    return outcome;
  }
  for (const served of servedNames) {
    const name = normalizeDomain(served);
    const own = candidates.find((candidate) => candidate.folder === name);
    const covering = candidates
      .map((candidate) => ({ candidate, inspection: inspectCertificate(candidate.cert, candidate.key, name) }))
      .filter(({ inspection }) => inspection.problems.length === 0)
      .sort((a, b) => b.inspection.report!.validTo.getTime() - a.inspection.report!.validTo.getTime());
    const chosen = own ?? covering[0]?.candidate;
    if (!chosen) continue;
    const { report, problems } = inspectCertificate(chosen.cert, chosen.key, name);
    if (!report || problems.length > 0) {
      outcome.errors.push(`${name}: ${join(dir, chosen.folder)} refused: ${problems.join('; ')}`);
      continue;
    }
    privateDirectory(certsDir);
    await mkdir(join(certsDir, name), { recursive: true, mode: 0o700 });
    // key first: a server reading in between sees a mismatch and keeps its certificate until the pair is whole
    await writeAtomic(join(certsDir, name, 'privkey.pem'), chosen.key, 0o600);
    await writeAtomic(join(certsDir, name, 'fullchain.pem'), chosen.cert, 0o644);
    outcome.imported++;
    outcome.lines.push(`${name}: imported from ${join(dir, chosen.folder)} (${report.issuer}, valid until ${report.validTo.toISOString()})`);
  }
  if (outcome.imported === 0 && outcome.errors.length === 0) {
    outcome.errors.push(`none of the certificates under ${dir} is for a served domain (${servedNames.join(', ') || 'none'})`);
  }
  return outcome;
}

function readCandidates(dir: string): Candidate[] {
  const read = (folder: string, path: string): Candidate[] => {
    const cert = join(path, 'fullchain.pem');
    const key = join(path, 'privkey.pem');
    if (!existsSync(cert) || !existsSync(key)) return [];
    return [{ folder, cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') }];
  };
  // DIR may itself be one domain's folder
  if (existsSync(join(dir, 'fullchain.pem'))) return read(basename(dir), dir);
  return readdirSync(dir).filter((entry) => statSync(join(dir, entry)).isDirectory()).flatMap((entry) => read(entry, join(dir, entry)));
}
