// The PEP module's options and what its parts (index.ts, avatar-bridge.ts, private-storage.ts) share.
import type { JID } from '@parley/shared';
import { z } from 'zod';
import type { ModuleContext } from '../../core/module-api.ts';
import type { PubSubService } from '../../pubsub/service.ts';

export const pepOptions = z.object({
  /** Items a node keeps at most; 'max' in a node's configuration means this many. */
  maxItems: z.number().int().min(1).default(256),
  /** Nodes one account may have. */
  maxNodes: z.number().int().min(16).default(256),
  /** Bytes of one item's payload (at most a stanza: limits.maxStanzaSize). */
  maxPayloadBytes: z.number().int().min(1024).default(262_144),
});

export type PepOptions = z.infer<typeof pepOptions>;
export type PepContext = ModuleContext<PepOptions>;

/** An account's PEP service for one request (it keeps nothing itself: the store does). */
export type PepServices = (owner: JID) => PubSubService;
