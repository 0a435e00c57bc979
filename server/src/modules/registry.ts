// Where feature modules register what they handle (Prosody-style hooks) and what they implement
// (ejabberd-style protocol declarations, from which disco features and the docs table come).
import type { Element, JID } from '@parley/shared';
import type { ClientSession } from '../stream/session.ts';
import type { ServerContext } from '../context.ts';

export interface Specification {
  /** 'RFC 6121', 'XEP-0199'… */
  spec: string;
  version?: string;
  status: 'complete' | 'partial';
  note?: string;
}

export interface ParleyModule {
  name: string;
  implements: Specification[];
  register(ctx: ServerContext): void;
}

/** Who an iq is for: the server itself (to=domain) or an account (to=bare JID, or no 'to': the sender's own). */
export type IqTarget = 'host' | 'account';

/** Where a stanza came from: a local session, or the server itself (null). */
export type Origin = ClientSession | null;

/**
 * Returns the result payload (or nothing for an empty result), or throws a StanzaError. `payload` is
 * the request's one child element, whose name and namespace are the ones the handler registered.
 */
export type IqHandler = (iq: Element, from: JID, to: JID, origin: Origin, payload: Element) =>
  Element | null | undefined | void | Promise<Element | null | undefined | void>;

/** The payload element an iq handler takes: its name and namespace (Prosody's "iq-get/self/jabber:iq:roster:query"). */
export interface IqPayload {
  name: string;
  xmlns: string;
}

/** What the registry knows for an iq payload: its handler, or that the namespace is known but the element is not. */
export type IqLookup = IqHandler | 'unknown-element' | undefined;

/**
 * A stanza hook returns false/undefined when it did not take the stanza (the next hook runs),
 * true when it handled it, or a Promise when it handles it asynchronously.
 */
export type StanzaHook = (stanza: Element, from: JID, to: JID, origin: Origin) => boolean | void | Promise<void>;

export type StanzaEvent =
  | 'presence/outbound' | 'presence/bare' | 'presence/full' | 'presence/host'
  | 'message/bare' | 'message/full' | 'message/host' | 'message/offline';

export type NonzaHandler = (session: ClientSession, element: Element) => void;

interface RegisteredHook { priority: number; handler: StanzaHook }

export class Modules {
  readonly specifications: Specification[] = [];
  /** disco#info features of the server (XEP-0030), only what a module really handles. */
  readonly discoFeatures = new Set<string>();
  /** disco#info features of an account (bare JID). */
  readonly accountFeatures = new Set<string>();
  /** Extra <stream:features/> children after authentication. */
  readonly streamFeatures: Array<() => Element> = [];
  /** Run on a user's broadcast presence before it goes out (e.g. the XEP-0153 avatar hash). */
  readonly presenceDecorators: Array<(presence: Element, user: JID) => void | Promise<void>> = [];
  private readonly iqHandlers = new Map<string, IqHandler>();
  /** `target type xmlns` of every registered handler, to tell a wrong element in a known namespace from an unknown namespace. */
  private readonly iqNamespaces = new Set<string>();
  private readonly hooks = new Map<StanzaEvent, RegisteredHook[]>();
  private readonly nonzas = new Map<string, NonzaHandler>();

  load(ctx: ServerContext, modules: ParleyModule[]): void {
    for (const module of modules) {
      this.specifications.push(...module.implements);
      module.register(ctx);
    }
  }

  iq(target: IqTarget, type: 'get' | 'set', payload: IqPayload, handler: IqHandler): void {
    this.iqHandlers.set(`${target} ${type} ${payload.xmlns} ${payload.name}`, handler);
    this.iqNamespaces.add(`${target} ${type} ${payload.xmlns}`);
  }

  findIq(target: IqTarget, type: string, payload: Element): IqLookup {
    const xmlns = payload.attrs.xmlns ?? '';
    const handler = this.iqHandlers.get(`${target} ${type} ${xmlns} ${payload.name}`);
    if (handler) return handler;
    return this.iqNamespaces.has(`${target} ${type} ${xmlns}`) ? 'unknown-element' : undefined;
  }

  /** Every registered iq handler (tests send each one malformed input; test/fuzz drives each one). */
  registeredIqs(): Array<{ target: IqTarget; type: 'get' | 'set'; xmlns: string; name: string }> {
    return [...this.iqHandlers.keys()].map((key) => {
      const [target, type, xmlns, name] = key.split(' ', 4) as [IqTarget, 'get' | 'set', string, string];
      return { target, type, xmlns, name };
    });
  }

  hook(event: StanzaEvent, handler: StanzaHook, priority = 0): void {
    const list = this.hooks.get(event) ?? [];
    list.push({ priority, handler });
    list.sort((a, b) => b.priority - a.priority);
    this.hooks.set(event, list);
  }

  /** Run an event's hooks by priority until one takes the stanza. */
  fire(event: StanzaEvent, stanza: Element, from: JID, to: JID, origin: Origin): boolean | Promise<void> {
    const list = this.hooks.get(event);
    if (!list) return false;
    for (let i = 0; i < list.length; i++) {
      const result = list[i]!.handler(stanza, from, to, origin);
      if (result) return result;
    }
    return false;
  }

  /** Top-level non-stanza elements after binding (e.g. stream management). */
  nonza(xmlns: string, name: string, handler: NonzaHandler): void {
    this.nonzas.set(`${xmlns} ${name}`, handler);
  }

  handleNonza(session: ClientSession, element: Element): boolean {
    const handler = this.nonzas.get(`${element.attrs.xmlns} ${element.name}`);
    if (!handler) return false;
    handler(session, element);
    return true;
  }
}
