// Who may do what on a pubsub.<domain> service (XEP-0060 §4): node owners are affiliations (the
// creator is the first), the service's admins own every node, node creation is open to the domain's
// users or to admins only, and the access models are those that make sense without a roster: open,
// authorize (owners approve each subscriber) and whitelist (affiliations). One instance per request:
// whether the requester is an admin is read from the config and the directory before it is made.
import type { JID } from '@parley/shared';
import { defaultNodeConfig, type ConfigChoices, type NodeConfig } from '../../pubsub/node-config.ts';
import type { ServicePolicy } from '../../pubsub/service.ts';
import type { StoredNode } from '../../pubsub/store.ts';

/** XEP-0060 §4.5: 'presence' and 'roster' need the owner's roster, which a service has not. */
const SERVICE_CHOICES: ConfigChoices = {
  accessModel: ['open', 'authorize', 'whitelist'],
  // a service sees no subscriber's presence: the last item goes on subscription, or never
  sendLastPublishedItem: ['never', 'on_sub'],
};

export class ServiceNodePolicy implements ServicePolicy {
  readonly autoCreate = false;
  readonly owner = null;
  readonly instantNodes = true;
  readonly subscriptionOptions = true;
  readonly configChoices = SERVICE_CHOICES;

  constructor(
    /** The requester this instance answers, and whether it is an admin of the service's domain. */
    private readonly requester: JID,
    private readonly requesterIsAdmin: boolean,
    /** Whether the requester may create nodes when not an admin (config nodeCreation, the domain's users). */
    private readonly requesterMayCreate: boolean,
    private readonly defaultMaxItems: number,
  ) {}

  isOwner(requester: JID): boolean {
    return this.requesterIsAdmin && requester.bare === this.requester.bare;
  }

  mayCreateNodes(requester: JID): boolean {
    return this.isOwner(requester) || (requester.bare === this.requester.bare && this.requesterMayCreate);
  }

  async passesAccessModel(requester: JID, node: StoredNode): Promise<boolean> {
    switch (node.config.accessModel) {
      case 'open':
        return true;
      case 'authorize':
        // §4.5: an approved subscriber (bare or this full JID); affiliates pass in the service
        return node.subscriptions[requester.full] !== undefined || node.subscriptions[requester.bare] !== undefined;
      default:
        // whitelist: the affiliations (checked by the service) are the list
        return false;
    }
  }

  defaultConfig(): NodeConfig {
    return { ...defaultNodeConfig(), accessModel: 'open', maxItems: this.defaultMaxItems, sendLastPublishedItem: 'never' };
  }
}
