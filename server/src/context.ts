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
}
