// The services a session and the feature modules share. Built once per server (server.ts).
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Storage } from './storage/index.ts';
import type { AuthThrottle } from './sasl/index.ts';
import type { CertificateStore } from './tls/certificates.ts';
import type { Router } from './router/router.ts';
import type { Hosts } from './router/hosts.ts';
import type { Modules } from './modules/registry.ts';
import type { SessionRegistry } from './router/sessions.ts';
import type { Directory } from './directory/types.ts';
import type { Authentication } from './auth/authentication.ts';
import type { SuiteEventBus } from './suite-bus/event-bus.ts';
import type { AdminService } from './admin/service.ts';
import type { Archive } from './archive/index.ts';

export interface ServerContext {
  readonly config: Config;
  readonly log: Logger;
  readonly storage: Storage;
  readonly hosts: Hosts;
  readonly sessions: SessionRegistry;
  readonly router: Router;
  readonly modules: Modules;
  readonly authThrottle: AuthThrottle;
  readonly certificates: CertificateStore;
  /** The suite directory: domains, users, groups, roles, address book (embedded by default). */
  readonly directory: Directory;
  /** SASL mechanisms, login names → accounts, IM access at login. */
  readonly authentication: Authentication;
  /** Directory changes, from the admin API, the CLI's event log or the suite's bus. */
  readonly suiteEvents: SuiteEventBus;
  /** Admin operations (admin API, suite bus), announcing their changes on suiteEvents. */
  readonly admin: AdminService;
  /** The conversation archive (XEP-0313), or null when archive.enabled is false. */
  readonly archive: Archive | null;
}
