// What modules add to a client stream after authentication: <stream:features/> children (RFC 6120
// §4.3.2) and handlers for top-level non-stanza elements (stream management will register here).
import type { Element } from '@parley/shared';
import type { NonzaHandler } from './module-api.ts';
import type { SessionHandle } from './origin.ts';

export class StreamExtensions {
  private readonly features: Array<() => Element> = [];
  private readonly nonzas = new Map<string, { handler: NonzaHandler; owner: string }>();

  addFeature(build: () => Element): void {
    this.features.push(build);
  }

  /** The post-authentication feature children, built fresh for each stream. */
  buildFeatures(): Element[] {
    return this.features.map((build) => build());
  }

  addNonza(xmlns: string, name: string, handler: NonzaHandler, owner: string): void {
    const key = `${xmlns} ${name}`;
    const existing = this.nonzas.get(key);
    if (existing) throw new Error(`${owner}: <${name} xmlns='${xmlns}'/> is already handled by ${existing.owner}`);
    this.nonzas.set(key, { handler, owner });
  }

  /** false when no module handles the element. */
  handleNonza(session: SessionHandle, element: Element): boolean {
    const entry = this.nonzas.get(`${element.attrs.xmlns} ${element.name}`);
    if (!entry) return false;
    entry.handler(session, element);
    return true;
  }
}
