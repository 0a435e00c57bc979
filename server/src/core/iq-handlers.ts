// iq get/set handlers by target, type and payload namespace (RFC 6120 §8.2.3): exactly one per key.
import type { IqHandler, IqTarget } from './module-api.ts';

export class IqHandlers {
  private readonly handlers = new Map<string, { handler: IqHandler; owner: string }>();

  /** Throws when another handler (of `owner` or any module) already answers this key. */
  register(target: IqTarget, type: 'get' | 'set', xmlns: string, handler: IqHandler, owner: string): void {
    const key = `${target} ${type} ${xmlns}`;
    const existing = this.handlers.get(key);
    if (existing) throw new Error(`${owner}: iq ${type} ${xmlns} to the ${target} is already handled by ${existing.owner}`);
    this.handlers.set(key, { handler, owner });
  }

  find(target: IqTarget, type: string, xmlns: string): IqHandler | undefined {
    return this.handlers.get(`${target} ${type} ${xmlns}`)?.handler;
  }
}
