// The feature modules a server loads, in order (each module's dependencies load before it: offline
// after presence, so pending subscription requests are shown before offline messages).
import type { AnyModuleDefinition } from '../core/module-api.ts';
import { rosterModule } from './roster.ts';
import { presenceModule } from './presence/index.ts';
import { offlineModule } from './offline.ts';
import { streamManagementModule } from './stream-management/index.ts';
import { carbonsModule } from './carbons.ts';
import { csiModule } from './csi.ts';
import { blockingModule } from './blocking.ts';
import { pushModule } from './push.ts';
import { discoModule } from './disco.ts';
import { pingModule } from './ping.ts';
import { versionModule } from './version.ts';
import { vcardModule } from './vcard/index.ts';
import { mamModule } from './mam/index.ts';
import { inboxModule } from './inbox.ts';
import { suiteSyncModule } from './suite-sync.ts';
import { capsModule } from './caps/index.ts';
import { pepModule } from './pep/index.ts';
import { mucModule } from '../components/muc/index.ts';
import { registerModule } from './register.ts';
import { adhocModule } from './adhoc/index.ts';
import { externalServicesModule } from './external-services.ts';
import { uploadModule } from '../components/upload/index.ts';
import { pubsubServiceModule } from '../components/pubsub/index.ts';

export const defaultModules: AnyModuleDefinition[] = [
  rosterModule, presenceModule, offlineModule, streamManagementModule, discoModule, pingModule, versionModule, vcardModule,
  // message archive: its hook runs first on delivered messages whatever the order here (priority)
  mamModule,
  // XEP-0430, read from the archive
  inboxModule,
  // XEP-0115 caps fill the sessions' '+notify' interests that PEP notifications follow (XEP-0163)
  capsModule, pepModule,
  // XEP-0280: copies after the archiver stamped the message (priority)
  carbonsModule,
  csiModule,
  // XEP-0191: before the archiver on every stanza between accounts (priority)
  blockingModule,
  // XEP-0357: summaries for messages that reach hibernated sessions or offline storage
  pushModule,
  // directory changes act on the running server
  suiteSyncModule,
  // XEP-0045 group chat: a component per account domain (components/muc/)
  mucModule,
  // XEP-0077 in-band registration (off unless a domain is listed)
  registerModule,
  // XEP-0050 commands with XEP-0133 service administration for domain admins
  adhocModule,
  // XEP-0215 STUN/TURN for calls
  externalServicesModule,
  // XEP-0363 HTTP file upload: upload.<domain> components and their HTTP routes
  uploadModule,
  // XEP-0060 pubsub.<domain> services on the engine PEP runs on
  pubsubServiceModule,
];
