// The presence module's options: limits its subscription handling holds to (config limits.*).
import { z } from 'zod';
import type { ModuleContext } from '../../core/module-api.ts';

export const presenceOptions = z.object({
  /** Contacts per roster, for items that subscription requests and approvals create; also pending requests per account. */
  maxRosterItems: z.number().int().min(10).default(2000),
  /** Subscription requests one account may send a minute (XEP-0205 §3). */
  subscriptionRequestsPerMinute: z.number().int().min(1).default(60),
});

export type PresenceContext = ModuleContext<z.infer<typeof presenceOptions>>;
