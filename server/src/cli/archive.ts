// `parley archive …`: the conversation archive's admin commands.
//   parley archive reindex [--batch N] [--recreate] [--node URL] [--index NAME]
//       copies the embedded archive (SQLite, in the data folder) into Elasticsearch, with a
//       progress bar on stderr (archive.elasticsearch in the configuration says where)
//   parley archive status
//       entries in the embedded archive, entries waiting for Elasticsearch in the local queue
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import { openDataStores } from '../data-folder.ts';
import { SqliteArchiveStore } from '../archive/sqlite/store.ts';
import { openSqliteArchiveDatabase } from '../archive/sqlite/schema.ts';
import { createElasticsearchClient } from '../archive/elasticsearch/store.ts';
import { reindexArchive } from '../archive/elasticsearch/reindex.ts';
import { progressBar } from './progress.ts';

export function registerArchiveCommands(program: Command, config: () => Config): void {
  const archive = program.command('archive').description('the conversation archive (XEP-0313)');

  archive.command('reindex')
    .description('copy the embedded archive into Elasticsearch (archive.elasticsearch in the configuration)')
    .option('--batch <n>', 'entries per bulk request', '1000')
    .option('--recreate', 'delete the index first')
    .option('--node <url>', 'Elasticsearch node (default: from the configuration)')
    .option('--index <name>', 'index name (default: from the configuration)')
    .action(async (options: { batch: string; recreate?: boolean; node?: string; index?: string }) => {
      const settings = config();
      const es = { ...settings.archive.elasticsearch };
      if (options.node) es.nodes = [options.node];
      if (options.index) es.index = options.index;
      const batchSize = Number(options.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
        console.error('parley: --batch must be between 1 and 10000');
        process.exitCode = 1;
        return;
      }
      const db = openSqliteArchiveDatabase(settings.dataDir);
      const client = createElasticsearchClient(es);
      const bar = progressBar(`reindexing into ${es.index}`);
      try {
        const result = await reindexArchive(new SqliteArchiveStore(db), client, es, {
          batchSize, recreate: options.recreate, onProgress: (p) => bar.update(p.done, p.total),
        });
        bar.finish(`${result.done.toLocaleString('en')} archive entries copied to ${es.nodes.join(', ')} index ${es.index}`
          + (result.failed ? `; ${result.failed} rejected` : ''));
        if (result.failed) process.exitCode = 1;
      } catch (error) {
        bar.finish(`parley: reindexing failed: ${(error as Error).message}`);
        process.exitCode = 1;
      } finally {
        await client.close();
        db.close();
      }
    });

  archive.command('status').description('entries in the embedded archive and in the Elasticsearch queue').action(async () => {
    const settings = config();
    // the queue is in the state storage, wherever the configuration puts it
    const data = await openDataStores(settings.dataDir, settings.storage);
    const storage = data.storage;
    const db = openSqliteArchiveDatabase(settings.dataDir);
    try {
      console.log(`backend: ${settings.archive.enabled ? settings.archive.backend : 'off'}`);
      console.log(`embedded archive entries: ${new SqliteArchiveStore(db).size().toLocaleString('en')}`);
      console.log(`waiting for Elasticsearch: ${(await storage.archiveIndexQueue.size()).toLocaleString('en')}`);
    } finally {
      db.close();
      await data.close();
    }
  });
}
