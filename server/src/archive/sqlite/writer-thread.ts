// The embedded archive's writer thread (node:worker_threads): a connection of its own to the data
// folder's database does every archive write (writing.ts) on another core than the server's event
// loop, which only hands batches over (thread-writes.ts) and reads on its own connection. Requests
// are answered in the order they came, so an answer means every earlier write is committed.
import { parentPort, workerData } from 'node:worker_threads';
import type { DatabaseOptions } from '../../storage/sqlite/database.ts';
import { openSqliteArchiveWriter } from './schema.ts';
import { ArchiveWriting } from './writing.ts';
import type { AnsweredRequest, WriterReply, WriterRequest } from './thread-writes.ts';
import type { RowValue } from './rows.ts';

interface WriterData {
  dataDir: string;
  options: DatabaseOptions;
}

const { dataDir, options } = workerData as WriterData;
const port = parentPort!;
const db = openSqliteArchiveWriter(dataDir, options);
const writing = new ArchiveWriting(db, (error) => port.postMessage({ id: 0, error: describe(error) } satisfies WriterReply));

/** Rows staged for the next write (thread-writes.ts stage()). */
let staged: RowValue[] = [];

port.on('message', (request: WriterRequest) => {
  if (request.op === 'stage') {
    if (staged.length === 0) staged = request.rows;
    else for (let i = 0; i < request.rows.length; i++) staged.push(request.rows[i]!);
    return;
  }
  void answer(request).then((value) => port.postMessage({ id: request.id, value } satisfies WriterReply),
    (error: unknown) => port.postMessage({ id: request.id, error: describe(error) } satisfies WriterReply));
});

async function answer(request: AnsweredRequest): Promise<number> {
  switch (request.op) {
    case 'write': {
      let rows = request.rows;
      if (staged.length > 0) {
        for (let i = 0; i < rows.length; i++) staged.push(rows[i]!);
        rows = staged;
        staged = [];
      }
      writing.write(rows);
      return rows.length;
    }
    case 'index':
      writing.indexAll();
      return 0;
    case 'tombstone':
      return writing.tombstone(request.seq, request.stanza);
    case 'prune':
      return writing.prune(request.seq);
    case 'close':
      writing.close();
      db.close();
      return 0;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
