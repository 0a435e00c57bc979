// The admin console's reindex (admin/archive-status.ts) against a real Elasticsearch 7.10 node: the
// embedded archive of a running server copied into the index in bulks, with the job's progress in the
// state storage, one run at a time, and every entry in the index at the end.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElasticsearch, type ElasticsearchNode } from './elasticsearch/node.ts';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import { sync } from './helpers/im.ts';
import { api, startSuiteServer } from './helpers/suite.ts';
import type { TestServer } from './helpers/server.ts';

const MESSAGES = 300;

describe('the archive reindex from the admin API', () => {
  let es: ElasticsearchNode;
  let server: TestServer;
  const index = `parley-reindex-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    es = await startElasticsearch();
    server = await startSuiteServer({
      users: { 'alice@example.com': 'alice-secret', 'bob@example.com': 'bob-secret' },
      // the server archives into SQLite; the reindex copies it into this index, 50 entries a bulk
      config: { archive: { backend: 'sqlite', elasticsearch: { nodes: [es.url], index, replicas: 0, bulkSize: 50 } } },
    });
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await es?.dispose();
  }, 60_000);

  it('copies every entry into Elasticsearch, one run at a time, and says how far it got', async () => {
    let alice: LoggedInClient | undefined;
    let bob: LoggedInClient | undefined;
    try {
      alice = await login(server, 'alice@example.com', 'alice-secret');
      bob = await login(server, 'bob@example.com', 'bob-secret');
      const last = bob.next((stanza) => stanza.getChildText('body') === `message number ${MESSAGES - 1}`, 60_000);
      for (let i = 0; i < MESSAGES; i++) await alice.xmpp.send(xml('message', { to: 'bob@example.com', type: 'chat' }, xml('body', null, `message number ${i}`)));
      await last;
      // the answer to a ping sent after them waits for their archive entries' commit (docs/archive.md
      // "What a crash keeps"; deliveries to the recipient are not held): both sides of each are there
      await sync(alice);
      expect(((await api(server, 'GET', 'archive')).body as { entries: number }).entries).toBe(2 * MESSAGES);
    } finally {
      await alice?.stop();
      await bob?.stop();
    }

    // two admins press the button at once: one run starts, the other is told it is running
    const [first, second] = await Promise.all([api(server, 'POST', 'archive/reindex', {}), api(server, 'POST', 'archive/reindex', { recreate: true })]);
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    const refused = [first, second].find((answer) => answer.status === 409)!;
    expect((refused.body as { error: string }).error).toMatch(/^a reindex is already running/);

    const seen: number[] = [];
    await expect.poll(async () => {
      const job = (await api(server, 'GET', 'archive/reindex')).body as { state: string; done: number };
      seen.push(job.done);
      return job.state;
    }, { timeout: 60_000, interval: 50 }).toBe('done');
    const job = (await api(server, 'GET', 'archive')).body as { reindex: { state: string; done: number; total: number; failed: number; index: string; error: null } };
    expect(job.reindex).toMatchObject({ state: 'done', done: 2 * MESSAGES, total: 2 * MESSAGES, failed: 0, index, error: null });
    // progress only grows
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    // one document per message, holding both archives' entries (archive/elasticsearch/requests.ts)
    const count = async (query?: unknown) => (await (await fetch(`${es.url}/${index}/_count`, query === undefined ? undefined : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }),
    })).json() as { count: number }).count;
    expect(await count()).toBe(MESSAGES);
    expect(await count({ term: { archives: 'alice@example.com' } })).toBe(MESSAGES);
    expect(await count({ term: { archives: 'bob@example.com' } })).toBe(MESSAGES);
  }, 150_000);
});
