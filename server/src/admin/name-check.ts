// Names stored before JIDs were enforced with PRECIS (RFC 7622 §3, RFC 8265) may no longer be
// valid, or may have another canonical form: `parley user check` lists them so an admin can rename
// or remove those accounts. Nothing is changed here.
import { parseJid, normalizeDomain } from '@parley/shared';
import type { Directory } from '../directory/types.ts';

export interface NameProblem {
  kind: 'domain' | 'alias' | 'account' | 'address';
  name: string;
  /** Why the name is not valid, or what its canonical form is. */
  problem: string;
}

export async function findInvalidNames(directory: Directory): Promise<NameProblem[]> {
  const problems: NameProblem[] = [];
  const check = (kind: NameProblem['kind'], name: string, canonical: (name: string) => string) => {
    try {
      const enforced = canonical(name);
      if (enforced !== name) problems.push({ kind, name, problem: `its canonical form is ${JSON.stringify(enforced)}` });
    } catch (error) {
      problems.push({ kind, name, problem: (error as Error).message });
    }
  };
  const bareUser = (name: string) => {
    const jid = parseJid(name);
    if (!jid.local || !jid.isBare) throw new Error('not a bare user JID');
    return jid.bare;
  };
  for (const domain of await directory.domains.list()) {
    check('domain', domain.name, normalizeDomain);
    for (const alias of domain.aliases) check('alias', alias, normalizeDomain);
    for (const user of await directory.users.list(domain.name)) {
      check('account', user.jid, bareUser);
      for (const address of user.emails) if (address !== user.jid) check('address', address, bareUser);
    }
  }
  return problems;
}
