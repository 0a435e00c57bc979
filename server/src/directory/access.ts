// Who may use instant messaging: an enabled user, on a domain with IM enabled, holding the IM role
// (directly or through a group) and on the domain's allow-list when the domain is restricted.
// Checked at login (stream/sasl-negotiation.ts) and again for live sessions whenever the directory
// changes (modules/suite-sync.ts), so both give the same answer and the same reason.
import { IM_ROLE, type Directory } from './types.ts';

export type ImDecision =
  | { allowed: true }
  /** The SASL condition for a login (RFC 6120 §6.5), and a reason for the <text/>. */
  | { allowed: false; condition: 'account-disabled' | 'not-authorized'; reason: string };

function deny(condition: 'account-disabled' | 'not-authorized', reason: string): ImDecision {
  return { allowed: false, condition, reason };
}

export async function checkImAccess(directory: Directory, jid: string): Promise<ImDecision> {
  const user = await directory.users.get(jid);
  if (!user) return deny('not-authorized', 'this account no longer exists');
  // RFC 6120 §6.5.1: account-disabled, "the account of the initiating entity has been temporarily disabled".
  if (!user.enabled) return deny('account-disabled', 'this account is disabled');
  const domainName = jid.slice(jid.lastIndexOf('@') + 1);
  const domain = await directory.domains.get(domainName);
  if (!domain) return deny('not-authorized', `${domainName} is not served here`);
  if (!domain.im.enabled) return deny('not-authorized', `instant messaging is not enabled for ${domainName}`);
  if (domain.im.access === 'everyone') return { allowed: true };
  if (!(await directory.groups.holdsRole(jid, IM_ROLE))) {
    return deny('not-authorized', 'instant messaging is not enabled for this account');
  }
  const { allowedUsers, allowedGroups } = domain.im;
  if (allowedUsers.length + allowedGroups.length > 0 && !allowedUsers.includes(jid)
    && !user.groups.some((group) => allowedGroups.includes(group))) {
    return deny('not-authorized', `this account is not among those allowed to use instant messaging on ${domainName}`);
  }
  return { allowed: true };
}
