// A GET's body: a file range streamed into a uWS response with back-pressure (tryEnd,
// onWritable), through one reused buffer: read a block, hand it to uWS until it took all of it,
// read the next — one block in memory per download, no allocation per block.
import { close, open, read } from 'node:fs';
import type uWS from 'uWebSockets.js';
import type { Logger } from '../../logger.ts';

/** Bytes read from a file at a time. */
export const READ_BLOCK = 512 * 1024;

export class FileResponse {
  private readonly buffer = Buffer.allocUnsafeSlow(READ_BLOCK);
  private fd: number | null = null;
  private position: number;
  private headersSent = false;
  private finished = false;
  /** The block uWS has not fully taken yet, and the response offset it started at. */
  private pending: Buffer | null = null;
  private pendingOffset = 0;

  constructor(private readonly res: uWS.HttpResponse, private readonly path: string, private readonly begin: number, private readonly total: number,
    private readonly headers: () => void, private readonly isAborted: () => boolean, private readonly log: Logger,
    private readonly fail: (text: string) => void) {
    this.position = begin;
  }

  /** `whenAborted`: registers what to do if the client goes away (the request's one onAborted handler calls it). */
  start(whenAborted: (stop: () => void) => void): void {
    whenAborted(() => this.close());
    this.res.onWritable((offset) => this.writable(offset));
    open(this.path, 'r', (error, fd) => {
      if (error) return this.failed(error);
      if (this.isAborted()) return void close(fd, () => {});
      this.fd = fd;
      this.readNext();
    });
  }

  private readNext(): void {
    if (this.fd === null || this.isAborted()) return this.close();
    const remaining = this.total - (this.position - this.begin);
    read(this.fd, this.buffer, 0, Math.min(READ_BLOCK, remaining), this.position, (error, bytes) => {
      if (error) return this.failed(error);
      if (this.isAborted()) return this.close();
      if (bytes === 0) return this.failed(new Error('the file is shorter than its record'));
      this.position += bytes;
      this.send(this.buffer.subarray(0, bytes));
    });
  }

  private send(block: Buffer): void {
    const offset = this.res.getWriteOffset();
    let ok = false;
    let done = false;
    this.res.cork(() => {
      if (!this.headersSent) {
        this.headers();
        this.headersSent = true;
      }
      [ok, done] = this.res.tryEnd(block, this.total);
    });
    if (done) return this.finish();
    if (ok) return this.readNext();
    // the socket is full: the rest of this block goes when uWS can take more (writable)
    this.pending = block;
    this.pendingOffset = offset;
  }

  private writable(offset: number): boolean {
    if (this.isAborted() || this.finished || !this.pending) return true;
    const rest = this.pending.subarray(offset - this.pendingOffset);
    let ok = false;
    let done = false;
    this.res.cork(() => { [ok, done] = this.res.tryEnd(rest, this.total); });
    if (done) {
      this.pending = null;
      this.finish();
    } else if (ok) {
      this.pending = null;
      this.readNext();
    }
    return ok;
  }

  private finish(): void {
    this.finished = true;
    this.close();
  }

  private failed(error: Error): void {
    this.log.error({ err: error }, 'upload: reading the file failed');
    this.close();
    if (this.isAborted() || this.finished) return;
    this.finished = true;
    if (this.headersSent) this.res.close();
    else this.fail('the file could not be read');
  }

  private close(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) close(fd, () => {});
  }
}
