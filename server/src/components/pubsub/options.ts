// The pubsub service's options (config.modules.pubsub): where it is served, who may create nodes
// and the limits it holds to.
import { z } from 'zod';

export const pubsubServiceOptions = z.object({
  /** A pubsub service for each account domain; false serves none. */
  enabled: z.boolean().default(true),
  /** The service's name for each account domain; `{domain}` stands for the domain (XEP-0060 §4.6: a service has its own JID). */
  serviceName: z.string().min(1).default('pubsub.{domain}'),
  /** Who may create nodes (XEP-0060 §8.1.1): the users of the service's domain, or only its admins. */
  nodeCreation: z.enum(['local-users', 'admins']).default('local-users'),
  /**
   * Bare JIDs that own every node of their domain's service (with the directory's 'im-admin' role
   * holders): they create nodes whatever nodeCreation says, configure, purge and delete any node.
   */
  admins: z.array(z.string().min(3)).default([]),
  /** Items a node keeps at most; 'max' in a node's configuration means this many. */
  maxItems: z.number().int().min(1).default(1000),
  /** Items a new node keeps unless its creator configures more (pubsub#max_items). */
  defaultMaxItems: z.number().int().min(1).default(10),
  /** Nodes one service holds. */
  maxNodes: z.number().int().min(16).default(10_000),
  /** Bytes of one item's payload (at most a stanza: limits.maxStanzaSize). */
  maxPayloadBytes: z.number().int().min(1024).default(262_144),
});

export type PubSubServiceOptions = z.infer<typeof pubsubServiceOptions>;
