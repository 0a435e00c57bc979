// The MUC service's options (config.modules.muc): where it is served and the limits it holds to.
import { z } from 'zod';

export const mucOptions = z.object({
  /** The service's name for each account domain; `{domain}` stands for the domain (XEP-0045 §6.1). */
  serviceName: z.string().min(1).default('conference.{domain}'),
  /** Who may create rooms: users of the served domains, or only the service's admins. */
  roomCreation: z.enum(['local-users', 'admins']).default('local-users'),
  /** Bare JIDs that are owners of every room (service admins, §5.2.1 note). */
  admins: z.array(z.string()).default([]),
  /** Rooms one user may own. */
  maxRoomsPerUser: z.number().int().min(1).default(100),
  /** Occupants one room may hold (muc#roomconfig_maxusers is capped by it). */
  maxOccupants: z.number().int().min(2).default(1000),
  /** History a room keeps for joining occupants (muc#maxhistoryfetch is capped by it). */
  maxHistory: z.number().int().min(0).max(1000).default(50),
  defaultHistory: z.number().int().min(0).default(20),
  /** Characters of a room message's stanza (bodies and all). */
  maxMessageBytes: z.number().int().min(1024).default(65536),
  /** Messages one occupant may send in a burst, and refilled per second (token bucket). */
  messageBurst: z.number().int().min(1).default(20),
  messagesPerSecond: z.number().min(0.1).default(10),
  /** Seconds between two voice requests of one occupant (XEP-0045 §7.13: each reaches every moderator). */
  voiceRequestInterval: z.number().min(1).default(60),
  /** Bytes of a room's vCard (XEP-0486 room avatars). */
  maxVcardBytes: z.number().int().min(8192).default(262144),
  /** New rooms archive their messages (muc#roomconfig_enablelogging) unless their owner turns it off. */
  logByDefault: z.boolean().default(true),
});

export type MucOptions = z.infer<typeof mucOptions>;
