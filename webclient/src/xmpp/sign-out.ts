// XEP-0484 §3.6: signing out for good ends the FAST token on the server: a sign-in with the token
// and <fast invalidate='true'/> on a connection of its own, closed right after (no resource bound).
import { NS, type JID } from '@parley/shared';
import { ConnectionError } from './errors.ts';
import { Inbox } from './inbox.ts';
import { hashedTokenMechanism, type FastCredential } from './sasl/fast.ts';
import { authenticate2, sasl2Offer, type UserAgent } from './sasl/sasl2.ts';
import { WebSocketTransport } from './transport/websocket.ts';

export async function revokeFastToken(websocketUrl: string, account: JID, credential: FastCredential, userAgent: UserAgent): Promise<void> {
  const inbox = new Inbox();
  const transport = new WebSocketTransport(websocketUrl, {
    element: (element) => inbox.push(element),
    closed: (error) => inbox.fail(error ?? new ConnectionError('closed')),
  });
  await transport.open(account.domain);
  try {
    let features = await inbox.next();
    while (features.getName() !== 'features') features = await inbox.next();
    if (!sasl2Offer(features)?.fast.includes(credential.mechanism)) throw new Error(`no ${credential.mechanism} here (${NS.fast})`);
    await authenticate2(transport, inbox, {
      mechanism: hashedTokenMechanism(account.local, credential), userAgent, usingToken: { invalidate: true },
    });
  } finally {
    transport.close();
  }
}
