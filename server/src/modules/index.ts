// The feature modules a server loads, in order (presence before offline: offline delivery
// listens for available presence, after pending subscription requests are shown).
import type { ParleyModule } from './registry.ts';
import { rosterModule } from './roster.ts';
import { presenceModule } from './presence.ts';
import { offlineModule } from './offline.ts';
import { discoModule } from './disco.ts';
import { pingModule } from './ping.ts';
import { versionModule } from './version.ts';
import { vcardModule } from './vcard.ts';
import { mamModule } from './mam/index.ts';
import { inboxModule } from './inbox.ts';

export const defaultModules: ParleyModule[] = [
  rosterModule, presenceModule, offlineModule, discoModule, pingModule, versionModule, vcardModule,
  // message archive: its hook runs first on delivered messages whatever the order here (priority)
  mamModule,
  // XEP-0430, read from the archive
  inboxModule,
];
