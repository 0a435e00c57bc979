// Helpers for the archive dialogues (XEP-0313): servers on either backend, queries that collect
// their result messages and <fin/>, and conversations that are sure to be archived.
import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import {
  mamQuery, parseMamFin, parseMamResult, type MamFin, type MamQuery, type MamResult,
} from '../../shared/src/mam.ts';
import { startElasticsearch, type ElasticsearchNode } from '../elasticsearch/node.ts';
import { startServer, type TestServer, type TestServerOptions } from './server.ts';
import { bare, chat, iq, received, xml, type LoggedInClient } from './im.ts';
import type { ConfigInput } from '../../server/src/config.ts';

export type Backend = 'sqlite' | 'elasticsearch';

/** The archive configuration of a test server on `backend` (a fresh index per server). */
export function archiveConfig(backend: Backend, es?: ElasticsearchNode, extra: Partial<ConfigInput['archive']> = {}): ConfigInput['archive'] {
  if (backend === 'sqlite') return { backend, ...extra };
  if (!es) throw new Error('an Elasticsearch node is needed');
  return {
    backend,
    ...extra,
    elasticsearch: {
      nodes: [es.url],
      index: `parley-test-${randomBytes(4).toString('hex')}`,
      replicas: 0,
      maxRetryDelayMs: 500,
      queryWaitMs: 15_000,
      ...extra?.elasticsearch,
    },
  };
}

export interface ArchiveTestServer extends TestServer {
  backend: Backend;
}

export async function startArchiveServer(backend: Backend, es?: ElasticsearchNode,
  options: TestServerOptions & { archive?: Partial<ConfigInput['archive']> } = {}): Promise<ArchiveTestServer> {
  const server = await startServer({ ...options, config: { ...options.config, archive: archiveConfig(backend, es, options.archive) } });
  return Object.assign(server, { backend });
}

export { startElasticsearch, type ElasticsearchNode };

export interface QueryAnswer {
  results: MamResult[];
  /** The result bodies, in the order they arrived. */
  bodies: string[];
  fin: MamFin;
}

let queries = 0;

/** Runs a query on the client's own archive (or `to`'s), collecting its results until the iq result. */
export async function queryArchive(client: LoggedInClient, query: MamQuery = {}, to?: string): Promise<QueryAnswer> {
  const queryid = query.queryid ?? `q${++queries}`;
  const results: MamResult[] = [];
  const collect = (stanza: Element) => {
    const result = stanza.is('message') ? parseMamResult(stanza as never) : undefined;
    if (result && result.queryid === queryid) results.push(result);
  };
  client.xmpp.on('stanza', collect);
  try {
    const answer = await iq(client, 'set', mamQuery({ ...query, queryid }) as never, to);
    const fin = parseMamFin(answer as never);
    if (!fin) throw new Error(`no <fin/> in ${answer.toString()}`);
    return { results, bodies: results.map((r) => r.message.getChildText('body') ?? ''), fin };
  } finally {
    (client.xmpp as unknown as { removeListener(event: string, listener: unknown): void }).removeListener('stanza', collect);
  }
}

/**
 * `from` sends each body to `to`, and `to` (online) receives them, so that both archives hold
 * them; returns the stanza-ids `to` got (its archive ids).
 */
export async function converse(from: LoggedInClient, to: LoggedInClient, bodies: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const body of bodies) {
    const arrived = to.next((s) => s.is('message') && s.getChildText('body') === body);
    await from.xmpp.send(chat(bare(to.jid), body));
    ids.push(stanzaIdOf(await arrived, bare(to.jid))!);
  }
  return ids;
}

export function stanzaIdOf(message: Element, by: string): string | undefined {
  return message.getChildren('stanza-id', 'urn:xmpp:sid:0').find((s) => s.attrs.by === by)?.attrs.id;
}

export { received, xml };
