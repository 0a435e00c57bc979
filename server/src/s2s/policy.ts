// Who may federate with whom: federation on or off for a served domain, allow and deny lists of
// remote domains, and whether a peer's certificate must verify (or dialback may prove it). The
// federation asks before every new link and every authentication, so a changed setting holds for
// the next one; open links to a domain that became refused are closed by the federation.
import type { Config } from '../config.ts';
import type { DomainDirectory, DomainFederationSettings } from '../directory/types.ts';

export type CertificatePolicy = Config['s2s']['certificates'];

export interface FederationPolicy {
  /** Why `local` may not exchange stanzas with `remote`, or null when it may. */
  refusal(local: string, remote: string): string | null;
  certificates(local: string): CertificatePolicy;
}

/** Whether `remote` is `pattern` or one of its subdomains. */
export function domainMatches(remote: string, pattern: string): boolean {
  return remote === pattern || remote.endsWith(`.${pattern}`);
}

/** The decision for one domain's settings (the server-wide config first). */
export function decide(config: Config['s2s'], settings: DomainFederationSettings | undefined, local: string, remote: string): string | null {
  if (!config.enabled) return 'federation is off on this server';
  if (!settings) return null;
  if (!settings.enabled) return `${local} does not federate`;
  if (settings.deny.some((pattern) => domainMatches(remote, pattern))) return `${local} does not federate with ${remote}`;
  if (settings.allow.length > 0 && !settings.allow.some((pattern) => domainMatches(remote, pattern))) {
    return `${local} federates only with listed domains`;
  }
  return null;
}

/**
 * The server-wide settings plus each served domain's own from the directory, kept in memory (the
 * federation asks per stanza) and re-read when the suite announces a change (domain.federation).
 */
export class DirectoryFederationPolicy implements FederationPolicy {
  private readonly settings = new Map<string, DomainFederationSettings>();

  constructor(
    private readonly config: Config['s2s'],
    private readonly domains: Pick<DomainDirectory, 'get' | 'list'>,
    /** An alias follows its domain's settings. */
    private readonly canonical: (name: string) => string,
  ) {}

  async load(): Promise<void> {
    for (const domain of await this.domains.list()) this.settings.set(domain.name, domain.federation);
  }

  async refresh(domain: string): Promise<void> {
    const current = await this.domains.get(domain);
    if (current) this.settings.set(current.name, current.federation);
    else this.settings.delete(domain);
  }

  refusal(local: string, remote: string): string | null {
    return decide(this.config, this.settings.get(this.canonical(local)), local, remote);
  }

  certificates(local: string): CertificatePolicy {
    const own = this.settings.get(this.canonical(local))?.certificates;
    return own && own !== 'default' ? own : this.config.certificates;
  }
}
