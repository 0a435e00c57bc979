// Stream negotiation after the transport opened (RFC 6120 §4.3): SASL (§6), restart, resource binding (§7).
import { JID, NS, parseJid, xml, type Element } from '@parley/shared';
import { AuthenticationError } from './errors.ts';
import type { Inbox } from './inbox.ts';
import { chooseMechanism, decodePayload, encodePayload, type Credentials } from './sasl/index.ts';
import type { Transport } from './transport/transport.ts';
import { randomId } from './ids.ts';

export interface NegotiatedSession {
  /** The full JID the server bound. */
  jid: JID;
  /** The server supports roster versioning (RFC 6121 §2.6.1). */
  rosterVersioning: boolean;
}

async function nextFeatures(inbox: Inbox): Promise<Element> {
  for (;;) {
    const element = await inbox.next();
    if (element.getName() === 'features') return element;
  }
}

export async function negotiate(transport: Transport, inbox: Inbox, account: JID, credentials: Credentials, resource: string): Promise<NegotiatedSession> {
  const saslFeatures = await nextFeatures(inbox);
  const offered = (saslFeatures.getChild('mechanisms', NS.sasl)?.getChildren('mechanism') ?? []).map((m) => m.getText().trim());
  await authenticate(transport, inbox, chooseMechanism(offered, credentials, account, transport.secure));

  transport.restart();
  const features = await nextFeatures(inbox);
  if (!features.getChild('bind', NS.bind)) throw new Error('the server offers no resource binding');
  const bindId = randomId(6);
  transport.send(xml('iq', { xmlns: NS.client, type: 'set', id: bindId },
    xml('bind', { xmlns: NS.bind }, xml('resource', null, resource))));
  const bound = await nextResult(inbox, bindId);
  const jid = parseJid(bound.getChild('bind', NS.bind)?.getChildText('jid') ?? `${account.bare}/${resource}`);

  // RFC 6121 §1.4 legacy session establishment, only when the server does not mark it optional.
  const session = features.getChild('session', NS.session);
  if (session && !session.getChild('optional')) {
    const sessionId = randomId(6);
    transport.send(xml('iq', { xmlns: NS.client, type: 'set', id: sessionId }, xml('session', { xmlns: NS.session })));
    await nextResult(inbox, sessionId);
  }
  return { jid, rosterVersioning: features.getChild('ver', NS.rosterVersioning) !== undefined };
}

async function authenticate(transport: Transport, inbox: Inbox, mechanism: Awaited<ReturnType<typeof chooseMechanism>>): Promise<void> {
  transport.send(xml('auth', { xmlns: NS.sasl, mechanism: mechanism.name }, encodePayload(await mechanism.initial())));
  for (;;) {
    const element = await inbox.next();
    switch (element.getName()) {
      case 'challenge':
        transport.send(xml('response', { xmlns: NS.sasl }, encodePayload(await mechanism.challenge(decodePayload(element.getText())))));
        break;
      case 'success':
        await mechanism.success(decodePayload(element.getText()));
        return;
      case 'failure': {
        const condition = element.children.find((node): node is Element => typeof node !== 'string' && node.name !== 'text');
        throw new AuthenticationError(condition?.name ?? 'not-authorized', element.getChildText('text') ?? undefined);
      }
    }
  }
}

async function nextResult(inbox: Inbox, id: string): Promise<Element> {
  for (;;) {
    const element = await inbox.next();
    if (element.name !== 'iq' || element.attrs.id !== id) continue;
    if (element.attrs.type === 'result') return element;
    const condition = element.getChild('error')?.children.find((node): node is Element => typeof node !== 'string' && node.name !== 'text');
    throw new Error(`resource binding failed (${condition?.name ?? 'error'})`);
  }
}
