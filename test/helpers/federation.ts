// Federation test set-up: a test DNS server, peers on their own loopback addresses and domains,
// their SRV/A records published, users registered, and real clients (slixmpp) to send messages
// across. Start once per test file (beforeAll): the peers take seconds to start.
//
//   const net = await startFederation({ peers: ['prosody', 'ejabberd'], auth: 'dialback' });
//   await net.peer('prosody').register('alice', 'pw');
//   await sendAcross({ from: net.account('prosody', 'alice', 'pw'), to: net.account('ejabberd', 'bob', 'pw'), body: 'hi' });
//
// auth 'dialback': self-signed certificates, so peers authenticate each other with XEP-0220.
// auth 'certificates': certificates from one test CA that every peer trusts (and only it), and
// dialback refused (Prosody s2s_secure_auth, ejabberd required_trusted): SASL EXTERNAL (XEP-0178).
// Domains are under .example, not .test: libunbound (Prosody's resolver) answers NXDOMAIN for
// test. itself (one of unbound's default local zones, RFC 6761) and never asks the test server.
// A Parley under test joins with `dns.servers: [net.dns.server]`, `s2s.trustedCaFile: net.ca?.certFile`,
// `bind: '127.0.0.10'`, its records from `net.publish(domain, records)`.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDns, type TestDns } from './unbound.ts';
import { createTestCa, selfSignedCertificate, type TestCa } from './test-ca.ts';
import { startProsody, type PeerOptions, type XmppPeer } from './prosody.ts';
export { peerZone } from './prosody.ts';
import { startEjabberd } from './ejabberd.ts';
import type { LoggedInClient } from './clients.ts';

export type PeerKind = 'prosody' | 'ejabberd';

/** Where a Parley under test listens (startServer({ config: { bind: PARLEY_ADDRESS } })); publish it with peerZone(). */
export const PARLEY_ADDRESS = '127.0.0.10';

/** Each peer's domain and loopback address. */
export const PEERS: Record<PeerKind, { domain: string; address: string }> = {
  prosody: { domain: 'prosody.example', address: '127.0.0.20' },
  ejabberd: { domain: 'ejabberd.example', address: '127.0.0.30' },
};

export interface Account {
  jid: string;
  password: string;
  host: string;
  port: number;
}

export interface Federation {
  readonly dns: TestDns;
  /** the CA every peer trusts (auth 'certificates'), undefined for 'dialback' */
  readonly ca: TestCa | undefined;
  readonly dir: string;
  peer(kind: PeerKind): XmppPeer;
  /** Register `user` on that peer and give the account to log in with. */
  account(kind: PeerKind, user: string, password: string): Promise<Account>;
  /** Publish (replace) a domain's records on the test DNS server. */
  publish(domain: string, records: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startFederation(options: { peers: PeerKind[]; auth: 'dialback' | 'certificates' }): Promise<Federation> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-federation-'));
  const dns = await startDns({});
  const ca = options.auth === 'certificates' ? await createTestCa(join(dir, 'ca')) : undefined;
  const peers = new Map<PeerKind, XmppPeer>();
  const stop = async () => {
    await Promise.allSettled([...peers.values()].map((peer) => peer.stop()));
    await dns.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(options.peers.map(async (kind) => {
      const { domain, address } = PEERS[kind];
      const certificate = ca ? await ca.issue(domain, join(dir, kind)) : await selfSignedCertificate(domain, join(dir, kind));
      const peerOptions: PeerOptions = {
        domain, address, dns, certificate, trustedCaFile: ca?.certFile, requireValidCertificates: options.auth === 'certificates',
      };
      const peer = kind === 'prosody' ? await startProsody(peerOptions) : await startEjabberd(peerOptions);
      peers.set(kind, peer);
      await dns.setZone(domain, peer.zone());
    }));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dns, ca, dir,
    peer: (kind) => peers.get(kind)!,
    async account(kind, user, password) {
      const peer = peers.get(kind)!;
      await peer.register(user, password);
      return { jid: `${user}@${peer.domain}`, password, host: peer.address, port: peer.c2sPort };
    },
    publish: (domain, records) => dns.setZone(domain, records),
    stop,
  };
}

const SLIXMPP_MESSAGE = fileURLToPath(new URL('./slixmpp_message.py', import.meta.url));

/** One message from `from` to `to` through their servers with slixmpp; resolves with the sender's JID as the receiver saw it. */
export function sendAcross(spec: { from: Account; to: Account; body: string; timeoutSeconds?: number }): Promise<{ received?: string; from?: string; error?: string }> {
  const input = JSON.stringify({ sender: spec.from, receiver: spec.to, body: spec.body, timeout: spec.timeoutSeconds ?? 30 });
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', [SLIXMPP_MESSAGE, input], { timeout: ((spec.timeoutSeconds ?? 30) + 10) * 1000 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ error: `${error?.message ?? 'no output'} ${stderr.slice(-2000)}` });
      }
    });
  });
}

/** A client whose next() waits up to 15 s unless told otherwise: stanzas across servers on a loaded machine. */
export function patient(client: LoggedInClient): LoggedInClient {
  const next = client.next.bind(client);
  client.next = (filter, timeoutMs = 15_000) => next(filter, timeoutMs);
  return client;
}
