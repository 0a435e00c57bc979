// Stanza routing (RFC 6120 §8.1.2, §10; RFC 6121 §8.5): stamp, address, deliver or bounce.
// Domains not served here go to the remote router, component domains to their component, account
// domains by the session table (who is available, at which priority) and local delivery.
import {
  JID, NS, StanzaError, StreamError, errorReply, iqResult, serialize, tryParseJid, type Element,
} from '@parley/shared';
import type { Logger } from '../logger.ts';
import type { Awaitable } from '../core/events.ts';
import type { IqHandlers } from '../core/iq-handlers.ts';
import type { IqTarget, Routing } from '../core/module-api.ts';
import { SERVER_ORIGIN, type Origin, type SessionHandle } from '../core/origin.ts';
import type { ServerHub, ServerPipelines } from '../core/server-events.ts';
import type { SessionEntry, SessionTableView } from '../core/session-table.ts';
import { ServerCounters } from '../metrics/counters.ts';
import type { HostTable } from './host-table.ts';
import { LOCAL_NODE_ONLY, type LocalDelivery, type NodeForwarder } from './delivery.ts';
import { BouncingRemoteRouter, type RemoteRouter } from './remote-router.ts';

export interface RouterServices {
  /** This node's name in the session table. */
  readonly node: string;
  readonly hosts: HostTable;
  readonly sessions: SessionTableView;
  readonly local: LocalDelivery;
  readonly hub: ServerHub;
  readonly iq: IqHandlers;
  /** Whether an account exists (RFC 6121 §8.5.1: iqs to a missing account are answered by the server). */
  readonly accountExists: (bareJid: string) => Promise<boolean>;
  readonly log: Logger;
  /** Non-local domains (default: bounce, until federation). */
  readonly remote?: RemoteRouter;
  /** Sessions of other nodes (default: none). */
  readonly nodes?: NodeForwarder;
  /** What the metrics count on the way (default: counted for nobody). */
  readonly counters?: ServerCounters;
}

type Kind = 'message' | 'presence' | 'iq';

export class Router implements Routing {
  private readonly remote: RemoteRouter;
  private readonly nodes: NodeForwarder;
  private readonly counters: ServerCounters;

  constructor(private readonly services: RouterServices) {
    this.remote = services.remote ?? new BouncingRemoteRouter(this);
    this.nodes = services.nodes ?? LOCAL_NODE_ONLY;
    this.counters = services.counters ?? new ServerCounters();
  }

  /** A stanza from a bound client, counted, and one in eight timed until it is delivered or stored (metrics/). */
  fromClient(session: SessionHandle, stanza: Element): Awaitable {
    const { received, routing } = this.counters;
    received.add(stanza.name);
    const started = routing.start();
    const result = this.routeFromClient(session, stanza);
    if (started < 0) return result;
    if (result instanceof Promise) return result.finally(() => routing.end(started));
    routing.end(started);
    return result;
  }

  /**
   * The server stamps 'from' with the session's full JID (§8.1.2.1); a 'from' naming anyone else is
   * an invalid-from stream error.
   */
  private routeFromClient(session: SessionHandle, stanza: Element): Awaitable {
    const self = session.jid;
    const claimed = stanza.attrs.from;
    if (claimed !== undefined && claimed !== self.full && claimed !== self.bare) {
      const parsed = tryParseJid(claimed);
      if (!parsed || (parsed.full !== self.full && parsed.full !== self.bare)) {
        return session.streamError(new StreamError('invalid-from', 'from does not match the authenticated JID'));
      }
    }
    stanza.attrs.from = self.full;
    let to: JID;
    if (stanza.attrs.to === undefined) {
      to = self.toBare(); // §10.3: no 'to' means the sender's own account
    } else {
      const parsed = tryParseJid(stanza.attrs.to);
      if (!parsed) return this.bounce(stanza, new StanzaError('jid-malformed', 'invalid to address'), session);
      to = parsed;
    }
    if (stanza.name === 'presence') {
      const handled = this.fire('presence/outbound', stanza, self, to, session);
      if (handled) return handled === true ? undefined : handled;
    }
    return this.route(stanza, self, to, session);
  }

  /** Deliver a stanza addressed to `to` (local or not), following RFC 6121 §8.5. */
  route(stanza: Element, from: JID, to: JID, origin: Origin = SERVER_ORIGIN): Awaitable {
    const served = this.services.hosts.lookup(to.domain);
    if (served === undefined) return this.remote.route(stanza, from, to, origin);
    // a component's domain is the component's, whatever the local part or type (groupchat included)
    if (typeof served !== 'string') return served.receive(stanza, from, to, origin);
    // A domain alias names the same accounts as its domain (router/host-table.ts): alice@alias is alice@domain.
    if (served !== to.domain) to = new JID(to.local, served, to.resource);
    const kind = stanza.name as Kind;
    if (to.local === '') return this.toHost(kind, stanza, from, to, origin);
    if (to.resource !== '') {
      const handled = kind === 'iq' ? false : this.fire(kind === 'message' ? 'message/full' : 'presence/full', stanza, from, to, origin);
      if (handled) return handled === true ? undefined : handled;
      return this.toFullJid(kind, stanza, from, to, origin);
    }
    if (kind === 'iq') return this.iqToAccount(stanza, from, to, origin);
    const handled = this.fire(kind === 'message' ? 'message/bare' : 'presence/bare', stanza, from, to, origin);
    if (handled) return handled === true ? undefined : handled;
    return this.toBareJid(kind, stanza, from, to, origin);
  }

  /** Send a stanza to every available resource of an account; returns how many got it. */
  toAvailableResources(bare: string, stanza: Element): number {
    let data: string | null = null;
    let delivered = 0;
    for (const entry of this.services.sessions.resources(bare)) {
      if (!entry.available) continue;
      data ??= serialize(stanza);
      this.deliverSerialized(entry, data);
      delivered++;
    }
    return delivered;
  }

  /** Bounce a stanza back to its sender with an error (never for errors or iq results: §8.3.1). */
  bounce(stanza: Element, error: StanzaError, origin: Origin): Awaitable {
    const type = stanza.attrs.type;
    if (type === 'error' || (stanza.name === 'iq' && type === 'result')) return;
    const reply = errorReply(stanza, error);
    if (origin.kind === 'client' && stanza.attrs.from === origin.jid.full) {
      origin.deliver(reply);
      return;
    }
    const to = tryParseJid(reply.attrs.to);
    const from = tryParseJid(reply.attrs.from);
    if (to && from && this.services.hosts.has(to.domain)) return this.route(reply, from, to, SERVER_ORIGIN);
  }

  /** Run a stanza pipeline; the event object is built only when a module listens. */
  private fire(name: keyof ServerPipelines & string, stanza: Element, from: JID, to: JID, origin: Origin): boolean | Promise<void> {
    const hub = this.services.hub;
    if (!hub.hasHooks(name)) return false;
    return hub.fire(name, { stanza, from, to, origin });
  }

  private deliver(entry: SessionEntry, stanza: Element): void {
    if (entry.node === this.services.node) this.services.local.session(entry.sessionId)?.deliver(stanza);
    else this.nodes.forward(entry, serialize(stanza));
  }

  private deliverSerialized(entry: SessionEntry, xml: string): void {
    if (entry.node === this.services.node) this.services.local.session(entry.sessionId)?.deliverSerialized(xml);
    else this.nodes.forward(entry, xml);
  }

  private toHost(kind: Kind, stanza: Element, from: JID, to: JID, origin: Origin): Awaitable {
    if (kind === 'iq') return this.handleIq('host', stanza, from, to, origin);
    const handled = this.fire(kind === 'message' ? 'message/host' : 'presence/host', stanza, from, to, origin);
    if (handled) return handled === true ? undefined : handled;
    if (kind === 'message' && (stanza.attrs.type ?? 'normal') !== 'error' && stanza.attrs.type !== 'headline') {
      return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
    }
  }

  private toFullJid(kind: Kind, stanza: Element, from: JID, to: JID, origin: Origin): Awaitable {
    const entry = this.services.sessions.get(to.full);
    if (entry) {
      this.deliver(entry, stanza);
      return;
    }
    const type = stanza.attrs.type;
    if (kind === 'iq') {
      // RFC 6121 §8.5.3.2.1: no such resource → service-unavailable for get/set; results are dropped.
      return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
    }
    if (kind === 'message') {
      if (type === 'groupchat') return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
      if (type === 'headline' || type === 'error') return;
      // normal and chat: treat as if sent to the bare JID (§8.5.3.2.1)
      return this.toBareJid('message', stanza, from, to.toBare(), origin);
    }
    // presence to an unavailable full JID: dropped (subscription types are handled by the presence module)
  }

  private toBareJid(kind: Kind, stanza: Element, from: JID, to: JID, origin: Origin): Awaitable {
    if (kind === 'message') return this.messageToBare(stanza, from, to, origin);
    // presence without a module claim (directed available/unavailable): to all available resources
    this.toAvailableResources(to.bare, stanza);
  }

  /**
   * RFC 6121 §8.5.2.1.1: a message of type normal or chat goes to the available resources with the
   * highest non-negative priority, a headline to every non-negative one; none → offline storage;
   * groupchat errors, headline is dropped.
   */
  private messageToBare(stanza: Element, from: JID, to: JID, origin: Origin): Awaitable {
    const type = stanza.attrs.type ?? 'normal';
    if (type === 'error') return;
    const everyone = type === 'headline';
    const resources = this.services.sessions.resources(to.bare);
    let best: SessionEntry | null = null;
    let others: SessionEntry[] | null = null;
    for (const entry of resources) {
      if (!entry.available || entry.priority < 0) continue;
      if (best === null || (!everyone && entry.priority > best.priority)) {
        best = entry;
        others = null;
      } else if (everyone || entry.priority === best.priority) {
        (others ??= []).push(entry);
      }
    }
    if (best) {
      if (type === 'groupchat') return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
      if (others === null) this.deliver(best, stanza);
      else {
        const data = serialize(stanza);
        this.deliverSerialized(best, data);
        for (const entry of others) this.deliverSerialized(entry, data);
      }
      return;
    }
    if (type === 'groupchat') return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
    if (type === 'headline') return;
    const handled = this.fire('message/offline', stanza, from, to, origin);
    if (handled) return handled === true ? undefined : handled;
    return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
  }

  /** RFC 6121 §8.5.1: an iq for a local account that does not exist gets service-unavailable. */
  private iqToAccount(iq: Element, from: JID, to: JID, origin: Origin): Awaitable {
    if (from.bare === to.bare || this.services.sessions.hasSessions(to.bare)) return this.handleIq('account', iq, from, to, origin);
    return this.services.accountExists(to.bare).then((exists) => exists
      ? this.handleIq('account', iq, from, to, origin)
      : this.bounce(iq, new StanzaError('service-unavailable'), origin));
  }

  /** iq get/set to the server or an account, answered by a module or with service-unavailable. */
  private handleIq(target: IqTarget, iq: Element, from: JID, to: JID, origin: Origin): Awaitable {
    const type = iq.attrs.type;
    if (type === 'result' || type === 'error') return; // nobody here is waiting for it
    if ((type !== 'get' && type !== 'set') || !iq.attrs.id) {
      return this.bounce(iq, new StanzaError('bad-request', 'iq needs an id and a type of get or set'), origin);
    }
    // RFC 6120 §8.2.3: a get or set has exactly one payload element.
    let payload: Element | undefined;
    let payloads = 0;
    for (const node of iq.children) {
      if (typeof node !== 'string') {
        payload = node;
        payloads++;
      }
    }
    if (payloads !== 1 || !payload) return this.bounce(iq, new StanzaError('bad-request', 'iq must have one payload'), origin);
    const handler = this.services.iq.find(target, type, payload);
    // RFC 6120 §8.4: a namespace nobody here handles is service-unavailable; an element this
    // namespace does not define (<quxery xmlns='jabber:iq:roster'/>) is a malformed request.
    if (handler === undefined) return this.bounce(iq, new StanzaError('service-unavailable'), origin);
    if (handler === 'unknown-element') {
      return this.bounce(iq, new StanzaError('bad-request', `<${payload.name.slice(0, 64)}/> is not a request in ${payload.attrs.xmlns}`), origin);
    }
    let result;
    try {
      result = handler({ iq, payload, from, to, origin });
    } catch (error) {
      return this.answerIqError(iq, error, origin);
    }
    if (result instanceof Promise) {
      return result.then((answer) => this.answerIq(iq, answer ?? null, origin),
        (error: unknown) => this.answerIqError(iq, error, origin));
    }
    return this.answerIq(iq, result ?? null, origin);
  }

  private answerIq(iq: Element, payload: Element | null, origin: Origin): Awaitable {
    const reply = iqResult(iq, payload);
    reply.attrs.xmlns = NS.client;
    return this.deliverReply(reply, origin);
  }

  private answerIqError(iq: Element, error: unknown, origin: Origin): Awaitable {
    if (!(error instanceof StanzaError)) {
      this.services.log.error({ err: error }, 'iq handler failed');
      error = new StanzaError('internal-server-error');
    }
    return this.bounce(iq, error as StanzaError, origin);
  }

  private deliverReply(reply: Element, origin: Origin): Awaitable {
    if (origin.kind === 'client' && reply.attrs.to === origin.jid.full) {
      origin.deliver(reply);
      return;
    }
    const to = tryParseJid(reply.attrs.to);
    const from = tryParseJid(reply.attrs.from) ?? new JID('', to?.domain ?? '');
    if (to) return this.route(reply, from, to, SERVER_ORIGIN);
  }
}
