// XEP-0114 external components on this node: the component port (components.port), open when a
// component is configured or stored — at start, or as soon as an admin adds the first one (no
// restart) — and the component streams it carries, for the admin's listing (domain, connected
// since, address, stanzas in and out). A component removed by an admin loses its stream at once
// (RFC 6120 §4.9.3.5 host-gone); its next handshake is refused. Streams are this node's
// connections; which components exist, and which node each connected one is on, are shared state
// (stream/component-secrets.ts, component-connections.ts).
import type { StorageBackPressure } from '../stream/input-hold.ts';
import { StreamError } from '@parley/shared';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Routing } from '../core/module-api.ts';
import type { HostTable } from '../router/host-table.ts';
import type { CertificateStore } from '../tls/certificates.ts';
import type { OpenStreams } from '../stream/open-streams.ts';
import { ComponentStream, type ComponentServices } from '../stream/component-stream.ts';
import { StoredComponents, componentSecrets } from '../stream/component-secrets.ts';
import type { StateStores } from '../storage/index.ts';
import { ConnectionCounter } from '../transport/connection-limits.ts';
import { listenTcp, type TcpListeners } from '../transport/tcp.ts';
import { ComponentConnectionRecords } from './component-connections.ts';

export interface ExternalComponentsOptions {
  readonly config: Config;
  readonly storage: Pick<StateStores, 'keyValue'>;
  readonly hosts: HostTable;
  readonly router: Pick<Routing, 'route' | 'bounce'>;
  readonly streams: OpenStreams;
  readonly certificates: CertificateStore;
  /** This node's name (the session table's). */
  readonly node: string;
  /** Component streams stop reading while the storage is behind (stream/input-hold.ts). */
  readonly backPressure?: StorageBackPressure;
  readonly log: Logger;
}

/** A connected component as the admin lists it. */
export interface ComponentConnection {
  domain: string;
  node: string;
  connectedSince: string;
  address: string;
  stanzasIn: number;
  stanzasOut: number;
}

export class ExternalComponents {
  private readonly stored: StoredComponents;
  private readonly records: ComponentConnectionRecords;
  private readonly services: ComponentServices;
  private readonly connected = new Set<ComponentStream>();
  private listener: TcpListeners | null = null;
  private opening: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: ExternalComponentsOptions) {
    const { config, hosts, router, streams, log } = options;
    this.stored = new StoredComponents(options.storage);
    this.records = new ComponentConnectionRecords(options.storage);
    const recorded = (work: Promise<void>) => void work.catch((err: unknown) => log.error({ err }, 'component connection record failed'));
    this.services = {
      limits: config.limits, hosts, router, secrets: componentSecrets(config.components.services, this.stored), log,
      backPressure: options.backPressure,
      streams: {
        opened: (stream) => {
          streams.opened(stream);
          if (stream instanceof ComponentStream) this.connected.add(stream);
        },
        closed: (stream) => {
          streams.closed(stream);
          if (!(stream instanceof ComponentStream) || !this.connected.delete(stream)) return;
          if (stream.connectedAt !== null) recorded(this.records.clear(stream.domain, options.node));
        },
      },
      serving: (stream) => recorded(this.records.set(stream.domain, {
        node: options.node, connectedSince: new Date(stream.connectedAt!).toISOString(), address: stream.connection.remoteAddress,
      })),
    };
  }

  /** The port listened on, or null while no component exists. */
  get port(): number | null {
    return this.listener?.port ?? null;
  }

  /** Listen when any component is configured or stored (start, and every component.changed). */
  async listenIfNeeded(): Promise<void> {
    if (this.listener || this.stopped) return;
    if (Object.keys(this.options.config.components.services).length === 0 && (await this.stored.domains()).length === 0) return;
    this.opening ??= this.listen().finally(() => {
      this.opening = null;
    });
    await this.opening;
  }

  /** An admin added or removed `domain`: open the port for a first component; a removed one is disconnected. */
  async changed(domain: string): Promise<void> {
    await this.listenIfNeeded();
    if (await this.services.secrets.secretFor(domain) !== undefined) return;
    for (const stream of [...this.connected]) {
      if (stream.domain === domain) stream.streamError(new StreamError('host-gone', `component ${domain} was removed by an administrator`));
    }
  }

  /** This node's component streams that serve their domain. */
  connections(): ComponentConnection[] {
    return [...this.connected].filter((stream) => stream.serving).map((stream) => ({
      domain: stream.domain, node: this.options.node, connectedSince: new Date(stream.connectedAt!).toISOString(), address: stream.connection.remoteAddress,
      stanzasIn: stream.stanzasIn, stanzasOut: stream.stanzasOut,
    }));
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.opening?.catch(() => {});
    await this.listener?.close();
  }

  private async listen(): Promise<void> {
    const { config, certificates, hosts, log } = this.options;
    this.listener = await listenTcp({
      bind: config.components.bind, port: config.components.port, tlsPort: -1, alpnProtocols: [],
      tls: { certificates, defaultName: () => hosts.first }, perAddress: new ConnectionCounter(config.limits.connectionsPerIp),
      settings: { port: 'components.port', tlsPort: 'components.port' }, log,
    }, (connection) => new ComponentStream(this.services, connection));
    log.info({ port: this.listener.port, bind: config.components.bind }, 'listening for external components');
  }
}
