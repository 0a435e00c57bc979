// Writes an upload's body to its file through a few reused buffers: each chunk uWS hands over
// (valid only during its callback) is copied into the current buffer, full buffers are written
// while the next fills. The request is paused whenever less than one chunk's worth of buffer is
// free, so an upload holds at most BUFFERS × BUFFER_BYTES however fast it comes — no allocation
// per chunk, nothing for the garbage collector to catch up with.
import { close, open, write } from 'node:fs';

/** uSockets reads at most 512 KiB at a time (LIBUS_RECV_BUFFER_LENGTH): one chunk fits one buffer. */
const BUFFER_BYTES = 512 * 1024;
const BUFFERS = 6;

export class PooledFileWriter {
  private fd: number | null = null;
  private readonly free: Buffer[] = [];
  private current: Buffer | null = null;
  private filled = 0;
  private position = 0;
  private writing = 0;
  private failed: Error | null = null;
  private ending: (() => void) | null = null;
  private spaceWaiter: (() => void) | null = null;

  private constructor(private readonly onError: (error: Error) => void) {}

  static open(path: string, onError: (error: Error) => void): Promise<PooledFileWriter> {
    const writer = new PooledFileWriter(onError);
    return new Promise((resolve, reject) => {
      open(path, 'w', 0o600, (error, fd) => {
        if (error) return reject(error);
        writer.fd = fd;
        resolve(writer);
      });
    });
  }

  /** Room for at least one more chunk without waiting for the disk. */
  get hasRoom(): boolean {
    const inCurrent = this.current ? this.current.length - this.filled : 0;
    return inCurrent + (this.free.length + BUFFERS - this.allocated) * BUFFER_BYTES >= BUFFER_BYTES;
  }

  /** Called once when there is room again (after hasRoom was false). */
  whenRoom(resume: () => void): void {
    if (this.hasRoom) return resume();
    this.spaceWaiter = resume;
  }

  /** Copies the chunk in (it may be reused by its owner right after). */
  push(chunk: Uint8Array): void {
    if (this.failed) return;
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.current) this.current = this.take();
      const copied = Math.min(chunk.length - offset, this.current.length - this.filled);
      this.current.set(chunk.subarray(offset, offset + copied), this.filled);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.current.length) this.flush();
    }
  }

  /** Writes what is left, closes the file, then calls `done` (not on error: onError is called). */
  end(done: () => void): void {
    if (this.current && this.filled > 0) this.flush();
    this.ending = done;
    this.settle();
  }

  /** Stops: the file is closed, pending writes are left to fail quietly. */
  destroy(): void {
    this.failed ??= new Error('destroyed');
    this.closeFile();
  }

  private allocated = 0;

  private take(): Buffer {
    const reused = this.free.pop();
    if (reused) return reused;
    // more than BUFFERS only if a caller pushed without checking hasRoom
    this.allocated++;
    return Buffer.allocUnsafeSlow(BUFFER_BYTES);
  }

  private flush(): void {
    const buffer = this.current!;
    const length = this.filled;
    const at = this.position;
    this.current = null;
    this.filled = 0;
    this.position += length;
    this.writing++;
    this.writeAll(buffer, 0, length, at);
  }

  private writeAll(buffer: Buffer, offset: number, length: number, at: number): void {
    if (this.fd === null) return;
    write(this.fd, buffer, offset, length, at, (error, written) => {
      if (error || this.failed) return this.fail(error ?? this.failed!);
      // short writes are possible on some file systems: write the rest
      if (written < length) return this.writeAll(buffer, offset + written, length - written, at + written);
      this.writing--;
      this.free.push(buffer);
      if (this.spaceWaiter && this.hasRoom) {
        const resume = this.spaceWaiter;
        this.spaceWaiter = null;
        resume();
      }
      this.settle();
    });
  }

  private settle(): void {
    if (!this.ending || this.writing > 0 || this.failed) return;
    const done = this.ending;
    this.ending = null;
    const fd = this.fd;
    this.fd = null;
    if (fd === null) return;
    close(fd, (error) => (error ? this.fail(error) : done()));
  }

  private fail(error: Error): void {
    if (this.failed && this.failed.message === 'destroyed') return;
    const first = this.failed === null;
    this.failed = error;
    this.closeFile();
    if (first) this.onError(error);
  }

  private closeFile(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) close(fd, () => {});
  }
}
