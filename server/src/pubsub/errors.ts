// XEP-0060 §7–§8 errors: a defined stanza condition plus, where the XEP names one, an
// application-specific condition in the pubsub#errors namespace (§7.1.3: <precondition-not-met/>…).
import { NS, StanzaError, xml, type StanzaErrorCondition } from '@parley/shared';

export class PubSubError extends StanzaError {
  /** `application`: the pubsub#errors condition; `feature`: the XEP-0060 feature it names (§7.1.3.2). */
  constructor(condition: StanzaErrorCondition, application?: string, text?: string, feature?: string) {
    // XEP-0060 gives <unexpected-request/> the type 'cancel' (§6.2.3.2, §6.3.4.2), not RFC 6120's usual 'wait'
    super(condition, text, condition === 'unexpected-request' ? 'cancel' : undefined,
      application ? () => xml(application, { xmlns: NS.pubsubErrors, feature }) : undefined);
    this.name = 'StanzaError';
  }
}

/** §7.1.3.3, §6.5.9.11: the node does not exist. */
export const nodeNotFound = () => new PubSubError('item-not-found', undefined, 'no such node');
export const itemNotFound = () => new PubSubError('item-not-found', undefined, 'no such item');
/** §7.1.3.1: the requester may not publish (or purge, delete, configure) here. */
export const forbidden = (text: string) => new PubSubError('forbidden', undefined, text);
/** §7.1.3.2 and elsewhere: the XEP's feature is not offered; `feature` names it (e.g. 'subscribe'). */
export const unsupported = (feature: string) =>
  new PubSubError('feature-not-implemented', 'unsupported', `pubsub feature '${feature}' is not supported here`, feature);
export const badRequest = (application: string | undefined, text: string) => new PubSubError('bad-request', application, text);
/** XEP-0223 §5 / XEP-0060 §7.1.5: a publish option does not match the node's configuration. */
export const preconditionNotMet = (text: string) => new PubSubError('conflict', 'precondition-not-met', text);

/** §6.5.9.2–6.5.9.4: the access model keeps the requester out (what each model says). */
export function accessDenied(model: string): PubSubError {
  switch (model) {
    case 'presence': return new PubSubError('not-authorized', 'presence-subscription-required', 'a presence subscription to the owner is required');
    case 'roster': return new PubSubError('not-authorized', 'not-in-roster-group', 'you are not in a roster group this node allows');
    // §6.5.9.4 (a pending subscription counts as none)
    case 'authorize': return new PubSubError('not-authorized', 'not-subscribed', 'this node is open to the subscribers its owners approved');
    default: return new PubSubError('not-allowed', 'closed-node', 'this node is open only to its whitelist');
  }
}
