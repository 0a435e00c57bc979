// Stanza routing (RFC 6120 §8.1.2, §10; RFC 6121 §8.5): stamp, address, deliver or bounce.
import {
  JID, NS, StanzaError, StreamError, errorReply, iqResult, serialize, tryParseJid, type Element,
} from '@parley/shared';
import type { ServerContext } from '../context.ts';
import type { ClientSession } from '../stream/session.ts';
import type { Origin } from '../modules/registry.ts';

export class Router {
  constructor(private readonly ctx: ServerContext) {}

  /**
   * A stanza from a bound client. The server stamps 'from' with the session's full JID (§8.1.2.1);
   * a 'from' naming anyone else is an invalid-from stream error.
   */
  fromClient(origin: ClientSession, stanza: Element): void | Promise<void> {
    const self = origin.jid!;
    const claimed = stanza.attrs.from;
    if (claimed !== undefined && claimed !== self.full && claimed !== self.bare) {
      const parsed = tryParseJid(claimed);
      if (!parsed || (parsed.full !== self.full && parsed.full !== self.bare)) {
        return origin.streamError(new StreamError('invalid-from', 'from does not match the authenticated JID'));
      }
    }
    stanza.attrs.from = self.full;
    let to: JID;
    if (stanza.attrs.to === undefined) {
      to = self.toBare(); // §10.3: no 'to' means the sender's own account
    } else {
      const parsed = tryParseJid(stanza.attrs.to);
      if (!parsed) return this.bounce(stanza, new StanzaError('jid-malformed', 'invalid to address'), origin);
      to = parsed;
    }
    if (stanza.name === 'presence') {
      const handled = this.ctx.modules.fire('presence/outbound', stanza, self, to, origin);
      if (handled) return handled === true ? undefined : handled;
    }
    return this.route(stanza, self, to, origin);
  }

  /** Deliver a stanza addressed to `to` (local or not), following RFC 6121 §8.5. */
  route(stanza: Element, from: JID, to: JID, origin: Origin = null): void | Promise<void> {
    if (!this.ctx.hosts.has(to.domain)) {
      // Federation is not there yet: RFC 6120 §10.4.3.
      return this.bounce(stanza, new StanzaError('remote-server-not-found', `${to.domain} is not served here`), origin);
    }
    // A domain alias names the same accounts as its domain (router/hosts.ts): alice@alias is alice@domain.
    const domain = this.ctx.hosts.canonical(to.domain);
    if (domain !== to.domain) to = new JID(to.local, domain, to.resource);
    const kind = stanza.name as 'message' | 'presence' | 'iq';
    if (to.local === '') return this.toHost(kind, stanza, from, to, origin);
    if (to.resource !== '') {
      const handled = kind === 'iq' ? false : this.ctx.modules.fire(`${kind}/full`, stanza, from, to, origin);
      if (handled) return handled === true ? undefined : handled;
      return this.toFullJid(kind, stanza, from, to, origin);
    }
    if (kind === 'iq') return this.iqToAccount(stanza, from, to, origin);
    const handled = this.ctx.modules.fire(`${kind}/bare`, stanza, from, to, origin);
    if (handled) return handled === true ? undefined : handled;
    return this.toBareJid(kind, stanza, from, to, origin);
  }

  /** Send a stanza to every available resource of an account; returns how many got it. */
  toAvailableResources(bare: string, stanza: Element): number {
    let data: string | null = null;
    let delivered = 0;
    for (const session of this.ctx.sessions.resources(bare)) {
      if (!session.presence.available) continue;
      data ??= serialize(stanza);
      session.sendRaw(data);
      delivered++;
    }
    return delivered;
  }

  /** Bounce a stanza back to its sender with an error (never for errors or iq results: §8.3.1). */
  bounce(stanza: Element, error: StanzaError, origin: Origin): void | Promise<void> {
    const type = stanza.attrs.type;
    if (type === 'error' || (stanza.name === 'iq' && type === 'result')) return;
    const reply = errorReply(stanza, error);
    if (origin && stanza.attrs.from === origin.jid?.full) {
      origin.send(reply);
      return;
    }
    const to = tryParseJid(reply.attrs.to);
    const from = tryParseJid(reply.attrs.from);
    if (to && from && this.ctx.hosts.has(to.domain)) return this.route(reply, from, to, null);
  }

  private toHost(kind: string, stanza: Element, from: JID, to: JID, origin: Origin): void | Promise<void> {
    if (kind === 'iq') return this.handleIq('host', stanza, from, to, origin);
    const handled = this.ctx.modules.fire(kind === 'message' ? 'message/host' : 'presence/host', stanza, from, to, origin);
    if (handled) return handled === true ? undefined : handled;
    if (kind === 'message' && (stanza.attrs.type ?? 'normal') !== 'error' && stanza.attrs.type !== 'headline') {
      return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
    }
  }

  private toFullJid(kind: string, stanza: Element, from: JID, to: JID, origin: Origin): void | Promise<void> {
    const session = this.ctx.sessions.get(to.bare, to.resource);
    if (session) {
      session.send(stanza);
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

  private toBareJid(kind: string, stanza: Element, from: JID, to: JID, origin: Origin): void | Promise<void> {
    if (kind === 'message') return this.messageToBare(stanza, from, to, origin);
    // presence without a module claim (directed available/unavailable): to all available resources
    this.toAvailableResources(to.bare, stanza);
  }

  /**
   * RFC 6121 §8.5.2.1.1: a message of type normal or chat goes to the available resources with the
   * highest non-negative priority, a headline to every non-negative one; none → offline storage;
   * groupchat errors, headline is dropped.
   */
  private messageToBare(stanza: Element, from: JID, to: JID, origin: Origin): void | Promise<void> {
    const type = stanza.attrs.type ?? 'normal';
    if (type === 'error') return;
    const everyone = type === 'headline';
    let best: ClientSession[] | null = null;
    let bestPriority = 0;
    for (const session of this.ctx.sessions.resources(to.bare)) {
      const presence = session.presence;
      if (!presence.available || presence.priority < 0) continue;
      if (best === null || (!everyone && presence.priority > bestPriority)) {
        best = [session];
        bestPriority = presence.priority;
      } else if (everyone || presence.priority === bestPriority) {
        best.push(session);
      }
    }
    if (best) {
      if (type === 'groupchat') return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
      if (best.length === 1) best[0]!.send(stanza);
      else {
        const data = serialize(stanza);
        for (const session of best) session.sendRaw(data);
      }
      return;
    }
    if (type === 'groupchat') return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
    if (type === 'headline') return;
    const handled = this.ctx.modules.fire('message/offline', stanza, from, to, origin);
    if (handled) return handled === true ? undefined : handled;
    return this.bounce(stanza, new StanzaError('service-unavailable'), origin);
  }

  /** RFC 6121 §8.5.1: an iq for a local account that does not exist gets service-unavailable. */
  private iqToAccount(iq: Element, from: JID, to: JID, origin: Origin): void | Promise<void> {
    if (from.bare === to.bare || this.ctx.sessions.hasSessions(to.bare)) return this.handleIq('account', iq, from, to, origin);
    return this.ctx.storage.accounts.get(to.bare).then((account) => account
      ? this.handleIq('account', iq, from, to, origin)
      : this.bounce(iq, new StanzaError('service-unavailable'), origin));
  }

  /** iq get/set to the server or an account, answered by a module or with service-unavailable. */
  private handleIq(target: 'host' | 'account', iq: Element, from: JID, to: JID, origin: Origin): void | Promise<void> {
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
    const handler = this.ctx.modules.findIq(target, type, payload);
    // RFC 6120 §8.4: a namespace nobody here handles is service-unavailable; an element this
    // namespace does not define (<quxery xmlns='jabber:iq:roster'/>) is a malformed request.
    if (handler === undefined) return this.bounce(iq, new StanzaError('service-unavailable'), origin);
    if (handler === 'unknown-element') {
      return this.bounce(iq, new StanzaError('bad-request', `<${payload.name.slice(0, 64)}/> is not a request in ${payload.attrs.xmlns}`), origin);
    }
    let result;
    try {
      result = handler(iq, from, to, origin, payload);
    } catch (error) {
      return this.answerIqError(iq, error, origin);
    }
    if (result instanceof Promise) {
      return result.then((payload) => this.answerIq(iq, payload ?? null, origin),
        (error: unknown) => this.answerIqError(iq, error, origin));
    }
    return this.answerIq(iq, result ?? null, origin);
  }

  private answerIq(iq: Element, payload: Element | null, origin: Origin): void | Promise<void> {
    const reply = iqResult(iq, payload);
    reply.attrs.xmlns = NS.client;
    return this.deliverReply(reply, origin);
  }

  private answerIqError(iq: Element, error: unknown, origin: Origin): void | Promise<void> {
    if (!(error instanceof StanzaError)) {
      this.ctx.log.error({ err: error }, 'iq handler failed');
      error = new StanzaError('internal-server-error');
    }
    return this.bounce(iq, error as StanzaError, origin);
  }

  private deliverReply(reply: Element, origin: Origin): void | Promise<void> {
    if (origin && reply.attrs.to === origin.jid?.full) {
      origin.send(reply);
      return;
    }
    const to = tryParseJid(reply.attrs.to);
    const from = tryParseJid(reply.attrs.from) ?? new JID('', to?.domain ?? '');
    if (to) return this.route(reply, from, to, null);
  }
}
