// Channel binding data from real TLS connections on loopback: both ends compute the same
// tls-exporter (RFC 9266) and the client can recompute tls-server-end-point (RFC 5929 §4.1) from the
// certificate it received.
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORTER_LABEL, EXPORTER_LENGTH, endPointHashName, loadCertificateReader, serverEndPoint, tlsChannelBinding, type ChannelBinding } from './channel-binding.ts';

async function certificate(algorithm: 'sha1' | 'sha256' | 'sha384' | 'sha512') {
  return generate([{ name: 'commonName', value: 'example.com' }], { keySize: 2048, algorithm });
}

beforeAll(loadCertificateReader);

const servers: tls.Server[] = [];
const sockets: tls.TLSSocket[] = [];
afterAll(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) server.close();
});

/** A TLS connection on loopback: the server side's binding, and the client socket. */
async function connect(pems: { private: string; cert: string }, maxVersion: tls.SecureVersion = 'TLSv1.3') {
  let serverBinding!: Promise<ChannelBinding>;
  const server = tls.createServer({ key: pems.private, cert: pems.cert, maxVersion });
  servers.push(server);
  serverBinding = new Promise((resolve) => server.once('secureConnection', (socket) => resolve(tlsChannelBinding(socket))));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = tls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion });
  await once(client, 'secureConnect');
  const binding = await serverBinding;
  sockets.push(client);
  return { binding, client };
}

describe('channel binding', () => {
  it('TLS 1.3: tls-exporter equal on both ends, tls-server-end-point the SHA-256 of the certificate', async () => {
    const pems = await certificate('sha256');
    const { binding, client } = await connect(pems);
    expect(binding.types).toEqual(['tls-exporter', 'tls-server-end-point']);
    expect(binding.data('tls-exporter')).toEqual(client.exportKeyingMaterial(EXPORTER_LENGTH, EXPORTER_LABEL, Buffer.alloc(0)));
    expect(binding.data('tls-exporter')).toHaveLength(32);
    const der = client.getPeerCertificate().raw;
    expect(binding.data('tls-server-end-point')).toEqual(createHash('sha256').update(der).digest());
    // not announced, but what an OpenSSL-based client computes: its own Finished message
    expect(binding.data('tls-unique')).toEqual(client.getFinished());
  });

  it('TLS 1.2: no tls-exporter (RFC 9266 §3 needs extended master secret there)', async () => {
    const { binding } = await connect(await certificate('sha256'), 'TLSv1.2');
    expect(binding.types).toEqual(['tls-server-end-point']);
    expect(binding.data('tls-exporter')).toBeNull();
  });

  it("RFC 5929 §4.1: the certificate's signature hash, SHA-256 in place of SHA-1", async () => {
    for (const [algorithm, expected] of [['sha1', 'sha256'], ['sha256', 'sha256'], ['sha384', 'sha384'], ['sha512', 'sha512']] as const) {
      const der = new X509Certificate((await certificate(algorithm)).cert).raw;
      expect(endPointHashName(der)).toBe(expected);
      expect(serverEndPoint(der)).toEqual(createHash(expected).update(der).digest());
    }
  });

  it('no end-point hash for what is not a certificate', () => {
    expect(endPointHashName(Buffer.from('not a certificate'))).toBeNull();
  });
});
