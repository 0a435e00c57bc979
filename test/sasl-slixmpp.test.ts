// A third-party SCRAM-PLUS client: slixmpp 1.8.3 (Debian) signs in over STARTTLS. It picks
// SCRAM-SHA-256-PLUS whenever it is offered and binds with tls-unique, which the server accepts
// for such clients (sasl/channel-binding.ts): slixmpp checks the server signature, so a wrong
// binding on either side fails the login.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
beforeAll(async () => { server = await startServer({ users: { 'alice@example.com': 'wonder-land' } }); });
afterAll(() => server?.stop());

async function slixmppLogin(password: string): Promise<string> {
  const script = join(server.dataDir, 'login.py');
  writeFileSync(script, `
import asyncio, logging, ssl, sys
import slixmpp
logging.basicConfig(level=logging.DEBUG, format='%(message)s', stream=sys.stdout)
class Client(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__('alice@example.com', sys.argv[2])
        self.add_event_handler('session_start', self.started)
        self.add_event_handler('failed_all_auth', lambda event: (print('RESULT failed'), self.disconnect()))
    async def started(self, event):
        print('RESULT', self.boundjid)
        self.disconnect()
client = Client()
client.enable_direct_tls = False
client.ssl_context.check_hostname = False
client.ssl_context.verify_mode = ssl.CERT_NONE
client.connect(('127.0.0.1', int(sys.argv[1])))
client.loop.run_until_complete(asyncio.wait_for(client.disconnected, 15))
`);
  const child = spawn('/usr/bin/python3', [script, String(server.ports.c2s), password]);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  await new Promise((resolve) => child.on('exit', resolve));
  return output;
}

it('slixmpp signs in with SCRAM-SHA-256-PLUS bound to the TLS connection', async () => {
  const output = await slixmppLogin('wonder-land');
  expect(output).toMatch(/SEND: <auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-256-PLUS">/);
  // p=tls-unique,,n=alice,…
  expect(Buffer.from(/mechanism="SCRAM-SHA-256-PLUS">([^<]+)</.exec(output)![1]!, 'base64').toString()).toMatch(/^p=tls-unique,,n=alice,r=/);
  expect(output).toMatch(/RESULT alice@example\.com\//);
}, 30_000);

it('a wrong password still fails', async () => {
  const output = await slixmppLogin('not-the-password');
  expect(output).toContain('RESULT failed');
  expect(output).not.toMatch(/RESULT alice@/);
}, 30_000);
