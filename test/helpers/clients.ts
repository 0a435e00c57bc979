// Real third-party clients (@xmpp/client) logged in to a test server, over TCP or WebSocket.
import { client as xmppClient, xml, type Client } from '@xmpp/client';
import { once, type EventEmitter } from 'node:events';
import type { Element } from '@xmpp/xml';
import type { TestServer } from './server.ts';

// @xmpp/websocket uses the global WebSocket, which Node 20 lacks (client-quirks.md).
import WebSocket from 'ws';
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

import { acceptTestCertificate } from './test-tls.ts';

export type Transport = 'starttls' | 'tls' | 'websocket';

export interface LoggedInClient {
  xmpp: Client;
  jid: string;
  /** Resolves with the next stanza matching the filter (that arrives after this call). */
  next(filter: (stanza: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** Every stanza received since login. */
  received: Element[];
  stop(): Promise<void>;
}

/** Where the clients connect: a test server, or any Parley process whose ports are known. */
export type ServerPorts = Pick<TestServer, 'ports'>;

export function serviceUrl(server: ServerPorts, transport: Transport, host = '127.0.0.1'): string {
  switch (transport) {
    case 'starttls': return `xmpp://${host}:${server.ports.c2s}`;
    case 'tls': return `xmpps://${host}:${server.ports.c2sTls}`;
    case 'websocket': return `ws://${host}:${server.ports.http}/xmpp-websocket`;
  }
}

export async function login(server: ServerPorts, jid: string, password: string,
  options: { transport?: Transport; resource?: string; presence?: boolean; host?: string; timeoutMs?: number } = {}): Promise<LoggedInClient> {
  const [username, domain] = jid.split('@') as [string, string];
  const xmpp = acceptTestCertificate(xmppClient({
    service: serviceUrl(server, options.transport ?? 'starttls', options.host),
    domain,
    username,
    password,
    resource: options.resource,
    // @xmpp/connection waits 2 s by default for each stream (re)open and close: on two cores shared
    // by many test runs a STARTTLS + SASL restart takes longer, and the login failed with a bare
    // TimeoutError (seen at load average 23)
    timeout: options.timeoutMs ?? 10_000,
  }));
  // The tests are not about stream management (client-quirks.md): keep it out of the way. @xmpp/client
  // enables it whenever the server offers it, so the client does not see the offer.
  hideStreamManagement(xmpp);
  // @xmpp/client 0.14 signs in with SASL2 and Bind 2 when offered, and Bind 2 makes the resource
  // "<tag>/<id>" (XEP-0386 §3.2.1). A test that needs its exact resource signs in the RFC 6120 way.
  if (options.resource !== undefined) useRfc6120SignIn(xmpp);
  xmpp.reconnect.stop();
  const received: Element[] = [];
  const waiters: Array<{ filter: (s: Element) => boolean; resolve: (s: Element) => void }> = [];
  xmpp.on('stanza', (stanza: Element) => {
    received.push(stanza);
    for (let i = 0; i < waiters.length; i++) {
      if (waiters[i]!.filter(stanza)) {
        waiters[i]!.resolve(stanza);
        waiters.splice(i, 1);
        i--;
      }
    }
  });
  xmpp.on('error', () => {});
  const address = await startClient(xmpp);
  if (options.presence !== false) await xmpp.send(xml('presence'));
  return {
    xmpp,
    jid: address.toString(),
    received,
    next(filter, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${jid}: no matching stanza within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ filter, resolve: (stanza) => { clearTimeout(timer); resolve(stanza); } });
      });
    },
    async stop() {
      try {
        await xmpp.stop();
      } catch {
        // already closed by the server
      }
    },
  };
}

/** Hide the SASL2 feature (XEP-0388) from an @xmpp/client, so that it uses RFC 6120 SASL and resource binding. */
export function useRfc6120SignIn(xmpp: Client): void {
  (xmpp as unknown as EventEmitter).prependListener('element', (element: Element) => {
    if (element.name !== 'stream:features' && element.name !== 'features') return;
    element.children = element.children.filter((child) => typeof child === 'string' || child.getNS() !== 'urn:xmpp:sasl:2');
  });
}

/**
 * Removes XEP-0198 from the stream features before @xmpp/client's own handlers read them: the
 * <sm/> feature, and inside SASL2's <inline/> its <sm/> (resumption) and Bind 2's
 * <feature var='urn:xmpp:sm:3'/> (enabling), which xmpp.js uses whenever they are offered.
 */
export function hideStreamManagement(xmpp: Client): void {
  const SM = 'urn:xmpp:sm:3';
  const withoutSm = (parent: Element | undefined, keep: (child: Element) => boolean) => {
    if (parent) parent.children = parent.children.filter((child) => typeof child === 'string' || keep(child));
  };
  (xmpp as unknown as EventEmitter).prependListener('element', (element: Element) => {
    if (element.name !== 'stream:features' && !element.is('features', 'http://etherx.jabber.org/streams')) return;
    withoutSm(element, (child) => !child.is('sm', SM));
    const inline = element.getChild('authentication', 'urn:xmpp:sasl:2')?.getChild('inline');
    withoutSm(inline, (child) => !child.is('sm', SM));
    withoutSm(inline?.getChild('bind', 'urn:xmpp:bind:0')?.getChild('inline'), (child) => child.attrs.var !== SM);
  });
}

/**
 * `xmpp.start()` without @xmpp/connection 0.14's dangling promise: start() creates its 'online'
 * promise before awaiting open(), and when a SASL <failure/> comes while open() is still pending
 * (often, over TLS) open() rejects and that promise stays rejected with nobody listening — an
 * unhandled rejection that fails the whole vitest run. The same steps, with that promise handled.
 */
export async function startClient(xmpp: Client): Promise<Awaited<ReturnType<Client['start']>>> {
  const connection = xmpp as unknown as {
    options: { service: string; domain: string; lang?: string };
    connect(service: string): Promise<void>;
    open(options: { domain: string; lang?: string }): Promise<unknown>;
  };
  const { service, domain, lang } = connection.options;
  await connection.connect(service);
  // once() rejects on 'error' as start()'s own promise does
  const online = once(xmpp as unknown as EventEmitter, 'online').then(([address]) => address as Awaited<ReturnType<Client['start']>>);
  online.catch(() => {});
  // open() listens for the server's stream header only after its own write has completed; over
  // direct TLS the header (and, with SASL2, the whole sign-in) can come first, and without a
  // stream restart no second header follows (client-quirks.md). Listen from before the write.
  const opened = once(xmpp as unknown as EventEmitter, 'open');
  opened.catch(() => {});
  const open = connection.open({ domain, lang });
  open.catch(() => {});
  await Promise.race([open, opened]);
  return online;
}

export { xml };
