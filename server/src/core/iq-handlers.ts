// iq get/set handlers by target, type and payload element (name and namespace, as Prosody's
// "iq-get/self/jabber:iq:roster:query"): exactly one per key. A wrong element in a namespace some
// handler knows is told apart from a namespace nobody handles (RFC 6120 §8.3.3 bad-request vs §8.4).
import type { Element } from '@parley/shared';
import type { IqHandler, IqPayload, IqTarget } from './module-api.ts';

/** What the registry knows for an iq payload: its handler, or that the namespace is known but the element is not. */
export type IqLookup = IqHandler | 'unknown-element' | undefined;

export class IqHandlers {
  private readonly handlers = new Map<string, { handler: IqHandler; owner: string }>();
  /** `target type xmlns` of every registered handler. */
  private readonly namespaces = new Set<string>();

  /** Throws when another handler (of `owner` or any module) already answers this key. */
  register(target: IqTarget, type: 'get' | 'set', payload: IqPayload, handler: IqHandler, owner: string): void {
    const key = `${target} ${type} ${payload.xmlns} ${payload.name}`;
    const existing = this.handlers.get(key);
    if (existing) {
      throw new Error(`${owner}: iq ${type} <${payload.name} xmlns='${payload.xmlns}'/> to the ${target} is already handled by ${existing.owner}`);
    }
    this.handlers.set(key, { handler, owner });
    this.namespaces.add(`${target} ${type} ${payload.xmlns}`);
  }

  find(target: IqTarget, type: string, payload: Element): IqLookup {
    const xmlns = payload.attrs.xmlns ?? '';
    const entry = this.handlers.get(`${target} ${type} ${xmlns} ${payload.name}`);
    if (entry) return entry.handler;
    return this.namespaces.has(`${target} ${type} ${xmlns}`) ? 'unknown-element' : undefined;
  }

  /** Every registered iq handler (tests send each one malformed input; test/fuzz drives each one). */
  registeredIqs(): Array<{ target: IqTarget; type: 'get' | 'set'; xmlns: string; name: string }> {
    return [...this.handlers.keys()].map((key) => {
      const [target, type, xmlns, name] = key.split(' ', 4) as [IqTarget, 'get' | 'set', string, string];
      return { target, type, xmlns, name };
    });
  }
}
