// XEP-0045 §5 affiliations (long-lived, by bare JID) and roles (per visit), and who may change what
// (§5.1.3 role privileges, §5.2.2 affiliation privileges, §9 and §10 use cases).

export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';
export type Role = 'moderator' | 'participant' | 'visitor' | 'none';

export const AFFILIATIONS: readonly Affiliation[] = ['owner', 'admin', 'member', 'none', 'outcast'];
export const ROLES: readonly Role[] = ['moderator', 'participant', 'visitor', 'none'];

const AFFILIATION_RANK: Record<Affiliation, number> = { owner: 4, admin: 3, member: 2, none: 1, outcast: 0 };
const ROLE_RANK: Record<Role, number> = { moderator: 3, participant: 2, visitor: 1, none: 0 };

export function isAffiliation(value: string | undefined): value is Affiliation {
  return value !== undefined && (AFFILIATIONS as readonly string[]).includes(value);
}

export function isRole(value: string | undefined): value is Role {
  return value !== undefined && (ROLES as readonly string[]).includes(value);
}

export function atLeast(affiliation: Affiliation, than: Affiliation): boolean {
  return AFFILIATION_RANK[affiliation] >= AFFILIATION_RANK[than];
}

export function roleAtLeast(role: Role, than: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[than];
}

/** §5.1.2 the role an occupant enters with. */
export function defaultRole(affiliation: Affiliation, moderated: boolean): Role {
  if (affiliation === 'owner' || affiliation === 'admin') return 'moderator';
  if (affiliation === 'member') return 'participant';
  if (affiliation === 'outcast') return 'none';
  return moderated ? 'visitor' : 'participant';
}

/**
 * §5.2.2 and §10: who may give `target` the affiliation `to` when it now has `from`. Owners change
 * everything; admins change members, outcasts and none, never owners or admins.
 */
export function mayChangeAffiliation(actor: Affiliation, from: Affiliation, to: Affiliation): boolean {
  if (actor === 'owner') return true;
  if (actor !== 'admin') return false;
  const low = (affiliation: Affiliation) => affiliation === 'member' || affiliation === 'none' || affiliation === 'outcast';
  return low(from) && low(to);
}

/**
 * §8.2–§8.5 and §9.6/§9.7: a moderator kicks and changes voice of occupants below admin; granting
 * or revoking moderator is for admins and owners; the role of an owner or admin is nobody's to change.
 */
export function mayChangeRole(actorRole: Role, actorAffiliation: Affiliation, targetAffiliation: Affiliation, to: Role, from: Role): boolean {
  if (actorRole !== 'moderator') return false;
  if (to === 'moderator' || from === 'moderator') {
    if (!atLeast(actorAffiliation, 'admin')) return false;
  }
  // §9.6, §9.7: an admin's or owner's role follows from the affiliation; only changing that changes it
  return targetAffiliation !== 'owner' && targetAffiliation !== 'admin';
}
