// XEP-0352 client state indication: while a client says it is <inactive/>, what can wait is held
// on its session — presence updates (only the newest per contact is kept) and messages without a
// body, such as chat states (the newest per contact) — and goes out, in order, when something that
// cannot wait comes (a message with a body, a subscription request, an error), when the held
// queue is full, or at <active/>. iq stanzas are never held. The state is on the session (its
// hold) and in the session table ('csi-inactive' interest).
import { NS, xml, type Element } from '@parley/shared';
import { z } from 'zod';
import { defineModule } from '../core/module-api.ts';
import type { SessionHandle } from '../core/origin.ts';
import type { StanzaHold } from '../core/session-output.ts';
import { parseStanza } from './lib/parse-stanza.ts';

const INTEREST = 'csi-inactive';

const options = z.object({
  /** Stanzas held per inactive session; one more flushes them all. */
  maxHeld: z.number().int().min(1).default(100),
});

export const csiModule = defineModule({
  name: 'csi',
  implements: [{ spec: 'XEP-0352', version: '1.0.0', status: 'complete', note: 'presence updates and bare chat states held while inactive, the newest per contact; bounded' }],
  options,
  register(ctx) {
    ctx.streamFeature(() => xml('csi', { xmlns: NS.csi }));
    ctx.nonza(NS.csi, 'inactive', (session) => inactive(session, ctx.options.maxHeld));
    ctx.nonza(NS.csi, 'active', active);
    // XEP-0386 §3.2: the client's state inside a Bind 2 <bind/> (the last one named counts)
    ctx.bind2Inline({
      var: NS.csi,
      enable: (requests, { session }) => {
        const state = requests.at(-1)?.name;
        if (state === 'inactive') inactive(session, ctx.options.maxHeld);
        else if (state === 'active') active(session);
      },
    });
  },
});

function inactive(session: SessionHandle, maxHeld: number): void {
  if (session.hold instanceof InactiveHold) return;
  session.hold = new InactiveHold(session, maxHeld);
  session.addInterest(INTEREST);
}

function active(session: SessionHandle): void {
  const hold = session.hold;
  if (!(hold instanceof InactiveHold)) return;
  session.hold = null;
  session.removeInterest(INTEREST);
  hold.flush();
}

/** What an inactive client's session holds, in arrival order; a newer one from the same contact replaces the older. */
class InactiveHold implements StanzaHold {
  /** key (kind + sender) → serialized stanza; a Map keeps insertion order. */
  private readonly held = new Map<string, string>();

  constructor(private readonly session: SessionHandle, private readonly maxHeld: number) {}

  take(xml: string): boolean {
    if (xml.startsWith('<iq')) return false;
    const stanza = parseStanza(xml);
    const key = stanza ? holdKey(stanza) : null;
    if (key === null) {
      // it cannot wait: what was held goes first, in order
      this.flush();
      return false;
    }
    this.held.delete(key);
    this.held.set(key, xml);
    if (this.held.size > this.maxHeld) this.flush();
    return true;
  }

  flush(): void {
    if (this.held.size === 0) return;
    const held = [...this.held.values()];
    this.held.clear();
    for (const xml of held) this.session.deliverNow(xml);
  }
}

/**
 * §5 leaves it to the server: presence updates and bare chat states wait, the newest per contact
 * (the same key replaces the older one); anything else cannot wait (null).
 */
function holdKey(stanza: Element): string | null {
  const from = stanza.attrs.from ?? '';
  const type = stanza.attrs.type;
  if (stanza.name === 'presence') return type === undefined || type === 'unavailable' ? `presence ${from}` : null;
  if (stanza.name !== 'message' || type === 'error') return null;
  let chatState = false;
  for (const node of stanza.children) {
    if (typeof node === 'string') continue;
    if (node.attrs.xmlns !== NS.chatStates) return null; // a body, receipts, carbons, invitations…: may matter now
    chatState = true;
  }
  return chatState ? `chat-state ${from}` : null;
}
