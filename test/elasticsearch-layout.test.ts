// The Elasticsearch archive keeps one document per message (archive/elasticsearch/requests.ts): both
// entries of a message between local users share it. An index of the first layout (a document per
// entry, routed by its owner) is migrated in place when the server first uses it, and entries the
// local queue kept from before (an entry's JSON each) are indexed as documents of their own; the
// archives read the same through MAM afterwards. Against a real Elasticsearch 7.10 node.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { converse, queryArchive, startArchiveServer, startElasticsearch, type ArchiveTestServer, type ElasticsearchNode } from './helpers/mam.ts';
import { bare, createUsers, online, stopAll } from './helpers/im.ts';
import { ArchiveIds, firstSeqAt } from '../server/src/archive/ids.ts';
import { indexTemplate } from '../server/src/archive/elasticsearch/requests.ts';
import type { ArchiveEntry } from '../server/src/archive/types.ts';

const DAY = 24 * 60 * 60 * 1000;

/** The first layout's mapping, as Parley created it before documents per message. */
const FIRST_LAYOUT_PROPERTIES = {
  owner: { type: 'keyword' },
  seq: { type: 'long' },
  sid: { type: 'keyword' },
  ts: { type: 'date', format: 'epoch_millis' },
  peer: { type: 'keyword' },
  peer_resource: { type: 'keyword' },
  outgoing: { type: 'boolean' },
  body: { type: 'text', analyzer: 'parley_folded', index_prefixes: { min_chars: 1, max_chars: 4 } },
  stanza: { type: 'keyword', index: false, doc_values: false },
};

describe('the Elasticsearch archive layout', () => {
  let es: ElasticsearchNode;
  let server: ArchiveTestServer;
  const index = `parley-layout-${randomBytes(4).toString('hex')}`;

  async function request(method: string, path: string, body?: unknown, ndjson = false): Promise<Record<string, unknown>> {
    const answer = await fetch(`${es.url}${path}`, {
      method, headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
      body: body === undefined ? undefined : ndjson ? body as string : JSON.stringify(body),
    });
    const json = await answer.json() as Record<string, unknown>;
    if (!answer.ok || json.errors) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(json)}`);
    return json;
  }
  const count = async (query?: unknown) => (await request('POST', `/${index}/_count`, query === undefined ? {} : { query })).count as number;

  beforeAll(async () => {
    es = await startElasticsearch();
    // the index is created (or migrated) when the server first writes or reads it
    server = await startArchiveServer('elasticsearch', es, { archive: { elasticsearch: { index } } });
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await es?.dispose();
  }, 60_000);

  it('migrates an index of one document per entry in place, indexes old queued entries, and reads them through MAM', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const ids = new ArchiveIds();
    const old = firstSeqAt(Date.now() - DAY);
    const entry = (seq: number, owner: string, peer: string, peerResource: string, outgoing: boolean, body: string, suffix = ''): ArchiveEntry => ({
      seq, id: ids.idFor(seq) + suffix, owner, peer, peerResource, outgoing, body,
      stanza: `<message xmlns="jabber:client" type="chat"><body>${body}</body></message>`,
    });
    // a message between Alice and Bob (an entry in each archive, the same seq), one to Bob from afar
    const firstLayout = [
      entry(old, aliceJid!, bobJid!, '', true, 'Old hello, café?'),
      entry(old, bobJid!, aliceJid!, 'laptop', false, 'Old hello, café?', 'b'),
      entry(old + 1, bobJid!, 'carol@remote.example', 'phone', false, 'Old news from afar'),
    ];
    const { template } = indexTemplate({ index, shards: 1, replicas: 0 }) as { template: { settings: Record<string, unknown> } };
    await request('PUT', `/${index}`, { settings: template.settings, mappings: { dynamic: 'strict', properties: FIRST_LAYOUT_PROPERTIES } });
    const bulk = firstLayout.flatMap((e) => [
      JSON.stringify({ index: { _id: e.id, routing: e.owner } }),
      JSON.stringify({ owner: e.owner, seq: e.seq, sid: e.id, ts: Math.floor(e.seq / 1024), peer: e.peer, peer_resource: e.peerResource, outgoing: e.outgoing, body: e.body, stanza: e.stanza }),
    ]).join('\n') + '\n';
    await request('POST', `/${index}/_bulk?refresh=true`, bulk, true);
    // an entry the local queue kept from before the new layout (its JSON as queued then)
    const queued = entry(old + 2, aliceJid!, 'dave@remote.example', 'desk', true, 'Queued before the upgrade');
    await server.server.storage.archiveIndexQueue.push([{ seq: queued.seq, document: JSON.stringify(queued) }]);

    const [alice, bob] = await Promise.all([online(server, aliceJid!), online(server, bobJid!)]);
    const [newId] = await converse(alice!, bob!, ['New hello after the upgrade']);

    expect((await queryArchive(alice!)).bodies).toEqual(['Old hello, café?', 'Queued before the upgrade', 'New hello after the upgrade']);
    expect((await queryArchive(bob!)).bodies).toEqual(['Old hello, café?', 'Old news from afar', 'New hello after the upgrade']);
    // the old entries keep their ids: Bob's own, not Alice's
    const bobs = await queryArchive(bob!);
    expect(bobs.results.map((r) => r.id)).toEqual([firstLayout[1]!.id, firstLayout[2]!.id, newId]);
    expect((await queryArchive(bob!, { after: firstLayout[1]!.id })).bodies).toEqual(['Old news from afar', 'New hello after the upgrade']);
    // Bob's id names his entry of the message, not Alice's
    await expect(queryArchive(alice!, { after: firstLayout[1]!.id })).rejects.toThrow(/item-not-found/);
    // full text, and 'with' bare and full on migrated documents
    expect((await queryArchive(bob!, { fulltext: 'cafe' })).bodies).toEqual(['Old hello, café?']);
    expect((await queryArchive(bob!, { with: 'carol@remote.example/phone' })).bodies).toEqual(['Old news from afar']);
    expect((await queryArchive(bob!, { with: 'carol@remote.example/laptop' })).bodies).toEqual([]);
    expect((await queryArchive(bob!, { with: `${bare(alice!.jid)}/laptop` })).bodies).toEqual(['Old hello, café?']);
    expect((await queryArchive(alice!, { with: bare(bob!.jid) })).bodies).toEqual(['Old hello, café?', 'New hello after the upgrade']);

    // the migrated entries stay a document each; the new message is one document for both archives
    expect(await count()).toBe(5);
    expect(await count({ term: { archives: aliceJid } })).toBe(3);
    expect(await count({ term: { archives: bobJid } })).toBe(3);
    expect(await count({ bool: { filter: [{ term: { archives: aliceJid } }, { term: { archives: bobJid } }] } })).toBe(1);
    await stopAll(alice, bob);
  }, 120_000);
});
