// What the s2s streams use, built once by the federation (federation.ts).
import type { Element, JID } from '@parley/shared';
import type { Config } from '../config.ts';
import type { Awaitable } from '../core/events.ts';
import type { Origin } from '../core/origin.ts';
import type { Logger } from '../logger.ts';
import type { HostTable } from '../router/host-table.ts';
import type { DialbackKeys } from './dialback-key.ts';
import type { FederationPolicy } from './policy.ts';
import type { LinkMonitor } from './link-monitor.ts';
import type { StorageBackPressure } from '../stream/input-hold.ts';

export interface S2sSettings {
  readonly requireEncryption: boolean;
  readonly maxStanzaSize: number;
  readonly authTimeoutSeconds: number;
  readonly idleSeconds: number;
  readonly connectTimeoutSeconds: number;
  readonly maxQueuedStanzas: number;
}

export function s2sSettings(config: Config): S2sSettings {
  const { s2s } = config;
  return {
    requireEncryption: s2s.requireEncryption, maxStanzaSize: s2s.maxStanzaSize, authTimeoutSeconds: config.limits.authTimeoutSeconds,
    idleSeconds: s2s.idleSeconds, connectTimeoutSeconds: s2s.connectTimeoutSeconds, maxQueuedStanzas: s2s.maxQueuedStanzas,
  };
}

/** `Stream`: the incoming stream (incoming-stream.ts), which uses these services itself. */
export interface S2sServices<Stream> {
  readonly settings: S2sSettings;
  readonly hosts: Pick<HostTable, 'has' | 'first'>;
  readonly policy: FederationPolicy;
  readonly keys: DialbackKeys;
  /** Ask `remote`'s authoritative server whether it generated `key` for our stream `streamId` (XEP-0220 §2.3). */
  verifyDialback(local: string, remote: string, streamId: string, key: string): Promise<boolean>;
  /** A proven peer's stanza into the router. */
  route(stanza: Element, from: JID, to: JID, origin: Origin): Awaitable;
  incomingClosed(stream: Stream): void;
  /** XEP-0288: `stream` carries our stanzas from `local` to `remote` from now on. */
  bidirectionalStream(stream: Stream, remote: string, local: string): void;
  /** Link states for the log and /metrics. */
  readonly monitor: LinkMonitor;
  /** A peer whose stanzas add writes while the storage is behind stops being read (stream/input-hold.ts). */
  readonly backPressure?: StorageBackPressure;
  readonly log: Logger;
}
