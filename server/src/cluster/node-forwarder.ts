// Stanzas for sessions another node holds (router/delivery.ts NodeForwarder), over that node's
// inbox on the cluster bus. A chat or normal message is kept here until the other node says its
// client has it — acknowledged (XEP-0198) or written when nothing counts, as offline messages are
// (modules/offline.ts) — so that a node killed with messages on their way loses none: they are
// routed again once it is known to be gone, and offline storage (or another resource) takes them
// (RFC 6121 §8.5.2.1.1). Other stanzas go once, as a lost TCP connection would lose them.
import { parseStanza, tryParseJid, type Element, type JID } from '@parley/shared';
import type { Logger } from '../logger.ts';
import type { SessionEntry } from '../core/session-table.ts';
import type { NodeForwarder } from '../router/delivery.ts';
import type { ClusterBus } from './bus.ts';

const FIELD = '\u0001';

/** Messages kept for one node; past it the oldest are no longer kept (and logged). */
const MAX_KEPT_PER_NODE = 200_000;

interface KeptMessage {
  readonly node: string;
  readonly xml: string;
}

export interface ForwardedDeliveryTarget {
  /** Deliver to a local session; false when it is gone (the message is routed again here). */
  deliver(sessionId: string, xml: string): boolean;
  /** Deliver with a receipt: `done` once the client has it (or once it was handed to offline storage here). */
  deliverKept(sessionId: string, xml: string, done: () => void): boolean;
  /** Route a stanza again (its session is gone): the router's RFC 6121 §8.5 rules. */
  route(stanza: Element, from: JID, to: JID): unknown;
}

export class ClusterForwarder implements NodeForwarder {
  private sequence = 0;
  private readonly kept = new Map<number, KeptMessage>();
  private readonly keptPerNode = new Map<string, number>();

  constructor(private readonly node: string, private readonly bus: ClusterBus, private readonly target: ForwardedDeliveryTarget,
    private readonly log: Logger) {}

  /** Messages on their way and not yet confirmed by their node. */
  get unconfirmed(): number {
    return this.kept.size;
  }

  forward(entry: SessionEntry, xml: string): void {
    if (!keepsUntilDelivered(xml)) {
      this.bus.send(entry.node, `d${entry.sessionId}${FIELD}${xml}`);
      return;
    }
    const seq = ++this.sequence;
    this.kept.set(seq, { node: entry.node, xml });
    const count = (this.keptPerNode.get(entry.node) ?? 0) + 1;
    this.keptPerNode.set(entry.node, count);
    if (count > MAX_KEPT_PER_NODE) this.forgetOldest(entry.node);
    this.bus.send(entry.node, `m${this.node}${FIELD}${seq}${FIELD}${entry.sessionId}${FIELD}${xml}`);
  }

  /** An inbox message of the forwarding kinds; false when it is not one. */
  receive(data: string): boolean {
    switch (data.charCodeAt(0)) {
      case 100: { // 'd'
        const at = data.indexOf(FIELD);
        const sessionId = data.slice(1, at);
        const xml = data.slice(at + 1);
        if (!this.target.deliver(sessionId, xml)) this.routeAgain(xml);
        return true;
      }
      case 109: { // 'm'
        const first = data.indexOf(FIELD);
        const second = data.indexOf(FIELD, first + 1);
        const third = data.indexOf(FIELD, second + 1);
        const source = data.slice(1, first);
        const seq = data.slice(first + 1, second);
        const sessionId = data.slice(second + 1, third);
        const xml = data.slice(third + 1);
        const confirm = () => this.bus.send(source, `a${seq}`);
        if (!this.target.deliverKept(sessionId, xml, confirm)) {
          this.routeAgain(xml);
          confirm();
        }
        return true;
      }
      case 97: { // 'a'
        this.confirmed(Number(data.slice(1)));
        return true;
      }
      default:
        return false;
    }
  }

  /** A node is gone (its entries left the table first): what it did not confirm is routed again. */
  nodeLost(node: string): number {
    let again = 0;
    for (const [seq, message] of this.kept) {
      if (message.node !== node) continue;
      this.kept.delete(seq);
      this.routeAgain(message.xml);
      again++;
    }
    this.keptPerNode.delete(node);
    if (again) this.log.info({ node, messages: again }, 'messages the lost node had not confirmed are routed again');
    return again;
  }

  private confirmed(seq: number): void {
    const message = this.kept.get(seq);
    if (!message) return;
    this.kept.delete(seq);
    const count = (this.keptPerNode.get(message.node) ?? 1) - 1;
    if (count > 0) this.keptPerNode.set(message.node, count);
    else this.keptPerNode.delete(message.node);
  }

  private forgetOldest(node: string): void {
    for (const [seq, message] of this.kept) {
      if (message.node !== node) continue;
      this.confirmed(seq);
      this.log.warn({ node }, 'too many messages unconfirmed by a node: the oldest is no longer kept');
      return;
    }
  }

  /** To the bare JID again (RFC 6121 §8.5.3.2.1 for a full JID without its session). */
  private routeAgain(xml: string): void {
    const stanza = parseStanza(xml);
    const to = tryParseJid(stanza?.attrs.to);
    const from = tryParseJid(stanza?.attrs.from);
    if (!stanza || !to || !from) return;
    if (stanza.name === 'iq' || stanza.name === 'presence') return; // RFC 6121 §8.5.3.2: nobody else takes them
    void Promise.resolve(this.target.route(stanza, from, to.toBare())).catch((error: unknown) => {
      this.log.error({ err: error }, 'routing a forwarded message again failed');
    });
  }
}

/** What offline storage would keep (XEP-0160): chat and normal messages. */
function keepsUntilDelivered(xml: string): boolean {
  if (!xml.startsWith('<message')) return false;
  const head = xml.slice(0, xml.indexOf('>') + 1);
  const type = /\stype=["']([a-z]+)["']/.exec(head)?.[1] ?? 'normal';
  return type === 'chat' || type === 'normal';
}
