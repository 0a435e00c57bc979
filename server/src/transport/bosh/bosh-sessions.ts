// The BOSH sessions of one server, by sid: creation (XEP-0124 §7), the per-IP limit, shutdown.
import { randomBytes } from 'node:crypto';
import { normalizeDomain } from '@parley/shared';
import type { Config } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import type { ElementStreamFactory } from '../../stream/connection.ts';
import { ConnectionCounter } from '../connection-limits.ts';
import { LEGACY_HTTP_STATUS, terminateBody, type BoshRequest, type TerminalCondition } from './bosh-body.ts';
import { DEFAULT_CONTENT_TYPE, negotiate } from './bosh-params.ts';
import { BoshSession, type BoshResponder, type BoshSessionOwner } from './bosh-session.ts';

export class BoshSessions implements BoshSessionOwner {
  private readonly bySid = new Map<string, BoshSession>();
  private readonly perIp: ConnectionCounter;
  private stopping = false;

  constructor(
    private readonly config: Config['bosh'],
    /** Whether a client stream may be opened to this name (host-unknown otherwise: §17.2). */
    private readonly serves: (domain: string) => boolean,
    private readonly log: Logger,
  ) {
    this.perIp = new ConnectionCounter(config.sessionsPerIp);
  }

  get size(): number {
    return this.bySid.size;
  }

  get(sid: string): BoshSession | undefined {
    return this.bySid.get(sid);
  }

  /** A request for a sid we do not know: the session never existed, ended, or we are stopping. */
  unknown(responder: BoshResponder): void {
    responder.send(terminateBody(this.stopping ? 'system-shutdown' : 'item-not-found'), DEFAULT_CONTENT_TYPE);
  }

  /** §7: a request without sid asks for a new session. */
  create(request: BoshRequest, responder: BoshResponder, remoteAddress: string, encrypted: boolean, createSession: ElementStreamFactory): void {
    const legacy = request.attrs.ver === undefined;
    const refuse = (condition: TerminalCondition) => {
      const status = legacy ? LEGACY_HTTP_STATUS[condition] : undefined;
      responder.send(status ? '' : terminateBody(condition), DEFAULT_CONTENT_TYPE, status);
    };
    // §17.2: no new sessions while shutting down
    if (this.stopping) return refuse('system-shutdown');
    const params = negotiate(request.attrs, this.config);
    if (typeof params === 'string') return refuse(params);
    let domain = '';
    try {
      domain = normalizeDomain(params.to ?? '');
    } catch {
      // not a domain name: unknown below
    }
    // §17.2 host-unknown: the 'to' domain is not one we serve
    if (!this.serves(domain)) return refuse('host-unknown');
    if (!this.perIp.acquire(remoteAddress)) return refuse('policy-violation');
    // §7.2 and Security Considerations: an opaque, unpredictable sid
    const sid = randomBytes(18).toString('base64url');
    const session = new BoshSession(sid, params, remoteAddress, encrypted, this, this.config.requestsPerSecond);
    this.bySid.set(sid, session);
    this.log.debug({ sid, remoteAddress, wait: params.wait, hold: params.hold }, 'BOSH session created');
    try {
      session.start(createSession, responder, domain);
    } catch (error) {
      this.log.error({ err: error, sid }, 'BOSH session start failed');
      session.terminate('internal-server-error', responder);
    }
  }

  ended(session: BoshSession, keepMs: number): void {
    this.perIp.release(session.remoteAddress);
    if (keepMs <= 0) {
      this.forget(session);
      return;
    }
    // the terminate body stays available for a late or resent request (§13, §14.3)
    setTimeout(() => this.forget(session), keepMs).unref();
  }

  /** Server stop: sessions still open end with system-shutdown; held requests are answered. */
  close(): void {
    this.stopping = true;
    for (const session of [...this.bySid.values()]) session.shutdown();
    this.bySid.clear();
  }

  private forget(session: BoshSession): void {
    if (this.bySid.get(session.sid) === session) this.bySid.delete(session.sid);
  }
}
