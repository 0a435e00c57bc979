// XEP-0163 §4: an account's PEP service — the account owns it (every resource), its roster decides
// who passes the presence and roster access models, and a publish creates the node (§3).
import type { JID } from '@parley/shared';
import type { RosterStore } from '../../storage/index.ts';
import { defaultNodeConfig } from '../../pubsub/node-config.ts';
import type { ConfigChoices } from '../../pubsub/node-config.ts';
import type { ServicePolicy } from '../../pubsub/service.ts';
import type { StoredNode } from '../../pubsub/store.ts';

/** PEP has no 'authorize' access: nobody would be asked to approve. */
const PEP_CHOICES: ConfigChoices = { accessModel: ['open', 'presence', 'roster', 'whitelist'] };

export class PepPolicy implements ServicePolicy {
  readonly autoCreate = true;
  readonly instantNodes = false;
  readonly subscriptionOptions = false;
  readonly configChoices = PEP_CHOICES;
  readonly owner: string;

  constructor(account: JID, private readonly roster: RosterStore) {
    this.owner = account.bare;
  }

  isOwner(requester: JID): boolean {
    return requester.bare === this.owner;
  }

  mayCreateNodes(requester: JID): boolean {
    return this.isOwner(requester);
  }

  async passesAccessModel(requester: JID, node: StoredNode): Promise<boolean> {
    const model = node.config.accessModel;
    if (model === 'open') return true;
    if (model === 'whitelist') return false; // affiliations (checked by the service) are the whitelist
    const item = await this.roster.getItem(this.owner, requester.bare);
    if (!item) return false;
    // XEP-0060 §4.5 presence: a subscription to the owner's presence (from or both in the owner's roster)
    if (model === 'presence') return item.subscription === 'from' || item.subscription === 'both';
    // roster: the contact is in one of the allowed groups
    return item.groups.some((group) => node.config.rosterGroupsAllowed.includes(group));
  }

  defaultConfig() {
    return defaultNodeConfig();
  }
}
