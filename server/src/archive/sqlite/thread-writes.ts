// The server's side of the archive's writer thread (writer-thread.ts): batches go over by
// structured clone, each request's promise settles with the thread's answer. Answers come in the
// order of the requests (every request but 'prune' is done at once there).
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.ts';
import type { DatabaseOptions } from '../../storage/sqlite/database.ts';
import type { RowValue } from './rows.ts';

export type WriterRequest =
  | { id: number; op: 'write'; rows: RowValue[] }
  // rows for the next 'write' (which commits them with its own), not answered
  | { id: 0; op: 'stage'; rows: RowValue[] }
  | { id: number; op: 'index' }
  | { id: number; op: 'prune'; seq: number }
  | { id: number; op: 'tombstone'; seq: number; stanza: string }
  | { id: number; op: 'close' };

/** `id` 0: something the thread did by itself failed (indexing after a pause). */
export interface WriterReply {
  id: number;
  value?: number;
  error?: string;
}

/** The requests the thread answers (all but 'stage'). */
export type AnsweredRequest = Exclude<WriterRequest, { op: 'stage' }>;

type Request = AnsweredRequest extends infer R ? R extends AnsweredRequest ? Omit<R, 'id'> : never : never;

/** The TypeScript loader the server runs with (server/bin/), for the thread's own module graph. */
const LOADER = new URL('../../../bin/typescript-loader.js', import.meta.url).href;

export class ThreadWrites {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (value: number) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(dataDir: string, options: DatabaseOptions, private readonly log?: Logger) {
    this.worker = new Worker(new URL('./writer-thread.ts', import.meta.url), {
      workerData: { dataDir, options },
      execArgv: ['--import', LOADER],
    });
    this.worker.unref();
    this.worker.on('message', (reply: WriterReply) => this.settle(reply));
    this.worker.on('error', (error) => this.stop(error));
    this.worker.on('exit', (code) => this.stop(new Error(`the archive writer thread exited (${code})`)));
  }

  /** Requests are on their way (a write may not be committed yet). */
  get busy(): boolean {
    return this.waiting.size > 0;
  }

  /**
   * Hands rows over ahead of their commit: the next write() commits them with its own rows. Rows
   * waiting in this thread's heap while the writer commits are copied by every young-generation
   * collection meanwhile; in the message queue and the writer's heap they cost this thread nothing.
   */
  stage(rows: RowValue[]): void {
    // a thread that stopped rejects the next write
    if (this.failure === null) this.worker.postMessage({ id: 0, op: 'stage', rows } satisfies WriterRequest);
  }

  /** Commits the rows staged before and `rows` (rows.ts pushRows; the index follows in the thread). */
  write(rows: RowValue[]): Promise<number> {
    return this.request({ op: 'write', rows });
  }

  /** Resolves once everything written before is committed and indexed. */
  indexAll(): Promise<number> {
    return this.request({ op: 'index' });
  }

  /** XEP-0424 §5: the row's message becomes its tombstone (after every write sent before). */
  tombstone(seq: number, stanza: string): Promise<number> {
    return this.request({ op: 'tombstone', seq, stanza });
  }

  prune(seq: number): Promise<number> {
    return this.request({ op: 'prune', seq });
  }

  async close(): Promise<void> {
    if (this.failure === null) await this.request({ op: 'close' });
    await this.worker.terminate();
  }

  private request(request: Request): Promise<number> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    // a request in flight keeps the process up (a tool waiting for the thread's answer)
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as AnsweredRequest);
    });
  }

  private settle(reply: WriterReply): void {
    if (reply.id === 0) {
      this.log?.error({ error: reply.error }, 'archive indexing failed');
      return;
    }
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (reply.error !== undefined) waiter.reject(new Error(reply.error));
    else waiter.resolve(reply.value ?? 0);
  }

  private stop(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    if (this.waiting.size > 0) this.log?.error({ err: error }, 'the archive writer thread stopped');
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
