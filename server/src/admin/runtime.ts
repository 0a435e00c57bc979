// The admin console's part of a running server, wired from the server's parts: sessions (the session
// table, kicks as suite events), certificates (the store and the certs folder), the DNS check on the
// ports the server got, the archive and its reindex, the live figures (the /metrics registry), group
// rooms, and admin accounts' password sign-in. server.ts calls this once its listeners are defined.
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Storage } from '../storage/index.ts';
import type { Directory } from '../directory/types.ts';
import type { SuiteEventPublisher } from '../directory/suite-events.ts';
import type { SessionTableView } from '../core/session-table.ts';
import type { CertificateStore } from '../tls/certificates.ts';
import type { DnsResolver } from '../dns/resolver.ts';
import type { ListenPorts } from '../dns/check.ts';
import type { ArchiveStore } from '../archive/index.ts';
import type { ServerMetrics } from '../metrics/registry.ts';
import type { SaslServices } from '../stream/sasl-attempt.ts';
import { trustedCertificateAuthorities } from '../tls/trust.ts';
import { KeyValueRoomStore } from '../components/muc/kv-store.ts';
import { AdminSessions } from './sessions.ts';
import { AdminCertificates, type CertificateUploaded } from './certificates.ts';
import { AdminDns } from './dns-status.ts';
import { AdminArchive } from './archive-status.ts';
import { AdminSignIn } from './sign-in.ts';
import { readFigures } from './figures.ts';
import type { AdminRuntime } from './routes.ts';
import type { ComponentConnection } from '../components/external.ts';

/** How long a DNS target may take to answer the check's connection (the CLI's --timeout default). */
const TARGET_TIMEOUT_MS = 5000;

export interface AdminRuntimeParts {
  config: Config;
  log: Logger;
  storage: Storage;
  directory: Directory;
  events: SuiteEventPublisher;
  /** This node's name in the session table. */
  node: string;
  table: SessionTableView;
  /** The transport of a session this node holds, or null. */
  transportOf: (sessionId: string) => string | null;
  certificates: CertificateStore;
  /** A certificate was uploaded here (in a cluster: sent to the other nodes, cluster/certificate-relay.ts). */
  certificateUploaded?: CertificateUploaded;
  dns: DnsResolver;
  /** The ports the listeners got (read when a check runs). */
  ports: () => ListenPorts;
  archive: ArchiveStore | null;
  metrics: ServerMetrics;
  /** The SASL services of client streams: the console's password sign-in runs the same checks and throttle. */
  sasl: SaslServices;
  firstDomain: () => string;
  served: (name: string) => boolean;
  /** The external components connected to this node (components/external.ts). */
  componentConnections: () => ComponentConnection[];
}

export function createAdminRuntime(parts: AdminRuntimeParts): { runtime: AdminRuntime; signIn: AdminSignIn } {
  const { config, storage } = parts;
  const { signIns: _notCounted, ...consoleSasl } = parts.sasl; // console sign-ins are not XMPP sign-ins (metrics)
  const rooms = new KeyValueRoomStore(storage);
  return {
    runtime: {
      sessions: new AdminSessions(parts.table, parts.events, parts.transportOf),
      certificates: new AdminCertificates(parts.certificates, join(config.dataDir, 'certs'), parts.served, parts.certificateUploaded),
      // each target may take as long to answer as `parley dns-check` gives it (--timeout, 5 s)
      dns: new AdminDns(parts.dns, parts.ports, trustedCertificateAuthorities(config.s2s.trustedCaFile), Math.max(config.dns.timeoutMs, TARGET_TIMEOUT_MS)),
      archive: new AdminArchive(config, storage, parts.archive, parts.node, parts.log),
      figures: () => readFigures(parts.metrics),
      groupRoom: async (group) => (await rooms.groupRoom(group)) ?? null,
      componentConnections: parts.componentConnections,
    },
    signIn: new AdminSignIn(config.admin.accounts, storage, parts.directory, consoleSasl, parts.firstDomain),
  };
}
