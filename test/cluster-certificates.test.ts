// A certificate uploaded on one node of a cluster is served by every node (cluster/certificate-relay.ts):
// two nodes on one NATS bus, each with a data folder of its own as nodes on different machines have,
// the upload through node 0's admin API, and a new TLS connection to node 1 given the new
// certificate without anyone touching node 1's files. A pair that cannot serve the name is refused
// on the node that took the upload and goes nowhere.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { clusterConfig, startNatsServer, type NatsServer } from './helpers/cluster.ts';
import { api, ADMIN_TOKEN } from './helpers/suite.ts';
import { selfSignedCertificate } from './helpers/test-ca.ts';
import { presentedFingerprint } from './helpers/test-tls.ts';

let nats: NatsServer;
const nodes: TestServer[] = [];
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'parley-cluster-certs-'));
  nats = await startNatsServer();
  // (no dataDir given: each node makes its own folder, its own certs and its own SQLite)
  for (const index of [0, 1]) nodes.push(await startServer({ config: { ...clusterConfig(nats, index), admin: { token: ADMIN_TOKEN } } }));
}, 60_000);
afterAll(async () => {
  for (const node of nodes.reverse()) await node.stop().catch(() => {});
  await nats?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

it('serves a certificate uploaded on one node from every node, written into each node\'s own certs folder', async () => {
  const [a, b] = nodes as [TestServer, TestServer];
  expect(a.dataDir).not.toBe(b.dataDir);
  const before = await presentedFingerprint(b, 'example.com');
  expect(await presentedFingerprint(a, 'example.com')).not.toBe(before); // each node generated its own

  // a pair for another name is refused where it was uploaded, and node 1 keeps its certificate
  const other = await selfSignedCertificate('other.example', join(scratch, 'other'));
  const mine = await selfSignedCertificate('example.com', join(scratch, 'mine'));
  expect(await api(a, 'PUT', 'domains/example.com/certificate', { certificate: other.certPem, key: other.keyPem })).toMatchObject({ status: 400 });

  const uploaded = await api(a, 'PUT', 'domains/example.com/certificate', { certificate: mine.certPem, key: mine.keyPem });
  expect(uploaded.status).toBe(200);
  const now = (uploaded.body as { fingerprint256: string }).fingerprint256;
  expect(await presentedFingerprint(a, 'example.com')).toBe(now);
  await expect.poll(() => presentedFingerprint(b, 'example.com'), { timeout: 10_000 }).toBe(now);
  // in node 1's own folder, in certbot's layout, the key private to the server
  const folder = join(b.dataDir, 'certs', 'example.com');
  expect(readFileSync(join(folder, 'fullchain.pem'), 'utf8')).toBe(mine.certPem);
  expect(existsSync(join(folder, 'privkey.pem'))).toBe(true);
  // and node 1's console says so
  expect(await api(b, 'GET', 'domains/example.com/certificate')).toMatchObject({ status: 200, body: { fingerprint256: now } });
}, 60_000);
