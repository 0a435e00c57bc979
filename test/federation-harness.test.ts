// The federation harness proves itself before Parley speaks s2s: Prosody and ejabberd, each on its
// own loopback address and domain, find each other through SRV records served by the test unbound
// and deliver a message from a Prosody user to an ejabberd user (and back), with dialback on
// self-signed certificates and with SASL EXTERNAL on certificates from the test CA.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendAcross, startFederation, type Account, type Federation } from './helpers/federation.ts';
import { dig } from './helpers/unbound.ts';

for (const auth of ['dialback', 'certificates'] as const) {
  describe(`federation harness: Prosody ⇄ ejabberd (${auth})`, () => {
    let net: Federation;
    let alice: Account;
    let bob: Account;

    beforeAll(async () => {
      net = await startFederation({ peers: ['prosody', 'ejabberd'], auth });
      [alice, bob] = await Promise.all([net.account('prosody', 'alice', 'alice-secret'), net.account('ejabberd', 'bob', 'bob-secret')]);
    }, 90_000);

    afterAll(async () => {
      await net?.stop();
    }, 30_000);

    it('publishes each peer under its SRV record', async () => {
      const prosody = net.peer('prosody');
      expect(await dig(net.dns, 'SRV', '_xmpp-server._tcp.prosody.example')).toContain(`SRV\t0 5 ${prosody.s2sPort} 127.0.0.20.`);
      expect(await dig(net.dns, 'A', 'xmpp.ejabberd.example')).toContain('127.0.0.30');
    });

    it('a Prosody user reaches an ejabberd user, and back', async () => {
      const there = await sendAcross({ from: alice, to: bob, body: `hello from prosody (${auth})` });
      expect(there, `${net.peer("prosody").log().slice(-5000)}\n${net.peer("ejabberd").log().slice(-5000)}`).toMatchObject({ received: `hello from prosody (${auth})` });
      expect(there.from).toMatch(/^alice@prosody\.example\//);
      const back = await sendAcross({ from: bob, to: alice, body: `hello from ejabberd (${auth})` });
      expect(back).toMatchObject({ received: `hello from ejabberd (${auth})` });
      expect(back.from).toMatch(/^bob@ejabberd\.example\//);
    }, 90_000);

    it(auth === 'certificates' ? 'authenticated both streams with SASL EXTERNAL (XEP-0178)' : 'authenticated both streams with dialback (XEP-0220)', () => {
      const prosody = net.peer('prosody').log();
      const ejabberd = net.peer('ejabberd').log();
      if (auth === 'certificates') {
        expect(prosody).toContain('Accepting SASL EXTERNAL identity from ejabberd.example');
        expect(ejabberd).toContain('Accepted inbound s2s EXTERNAL authentication prosody.example -> ejabberd.example');
      } else {
        expect(prosody).toContain('SASL EXTERNAL failed, falling back to dialback');
        expect(ejabberd).toContain('Accepted inbound s2s dialback authentication prosody.example -> ejabberd.example');
      }
    });
  });
}
