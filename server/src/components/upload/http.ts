// The HTTP half of XEP-0363 (§6) on the uWebSockets.js app: PUT /upload/<id>/<name>?expires&signature
// stores the body — exactly the slot's length and content type, once, before the slot expires —
// streamed to disk with back-pressure (the request is paused while the file catches up); GET and
// HEAD serve it with its type, Content-Disposition, nosniff, cache headers and byte ranges
// (RFC 9110 §14), streamed with uWS's tryEnd/onWritable. CORS for the webmail (origin policy of
// transport/origins.ts). Errors are plain text a panel can show.
import { rmSync } from 'node:fs';
import type uWS from 'uWebSockets.js';
import type { Logger } from '../../logger.ts';
import type { ModuleHttpRoutes, OriginCheck } from '../../core/module-api.ts';
import type { Upload, UploadStore } from '../../storage/index.ts';
import { contentDisposition, normalizeContentType, type UploadFiles } from './files.ts';
import type { SlotSigner } from './slots.ts';
import { PooledFileWriter } from './file-writer.ts';
import { FileResponse } from './file-response.ts';

export const UPLOAD_PATH = '/upload/';

export interface UploadHttpServices {
  readonly store: UploadStore;
  /** The signer, once the secret is loaded (null before: uploads are answered 503). */
  readonly signer: () => SlotSigner | null;
  readonly files: UploadFiles;
  readonly origins: OriginCheck;
  readonly log: Logger;
}

/** What a request path names: /upload/<id>/<file name, percent-encoded>. */
function parsePath(url: string): { id: string; name: string } | null {
  const rest = url.slice(UPLOAD_PATH.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const id = rest.slice(0, slash);
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(id)) return null;
  try {
    return { id, name: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    return null;
  }
}

/** CORS answer headers (Fetch standard §3.2) for an allowed origin; refused and absent origins get none. */
function corsHeaders(res: uWS.HttpResponse, origin: string): void {
  res.writeHeader('Access-Control-Allow-Origin', origin).writeHeader('Vary', 'Origin')
    .writeHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Content-Disposition, ETag');
}

function fail(res: uWS.HttpResponse, status: string, text: string, origin: string | null, close = false): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('Content-Type', 'text/plain; charset=utf-8').writeHeader('Cache-Control', 'no-store');
    if (origin) corsHeaders(res, origin);
    res.end(`${text}\n`, close);
  });
}

export function uploadRoutes(services: UploadHttpServices): ModuleHttpRoutes {
  return () => (app) => {
    app.options(`${UPLOAD_PATH}*`, (res, req) => preflight(services, res, req));
    app.put(`${UPLOAD_PATH}*`, (res, req) => put(services, res, req));
    app.get(`${UPLOAD_PATH}*`, (res, req) => get(services, res, req, false));
    app.head(`${UPLOAD_PATH}*`, (res, req) => get(services, res, req, true));
  };
}

/** The origin to echo, '' when the request has none, null when the policy refuses it. */
function allowedOrigin(services: UploadHttpServices, req: uWS.HttpRequest): string | null {
  const origin = req.getHeader('origin');
  const decision = services.origins.decide(origin);
  return decision === 'refused' ? null : decision === 'allowed' ? origin : '';
}

function preflight(services: UploadHttpServices, res: uWS.HttpResponse, req: uWS.HttpRequest): void {
  const origin = allowedOrigin(services, req);
  if (origin === null) return fail(res, '403 Forbidden', 'this page may not upload here', null);
  res.cork(() => {
    res.writeStatus('204 No Content');
    if (origin) corsHeaders(res, origin);
    res.writeHeader('Access-Control-Allow-Methods', 'GET, HEAD, PUT, OPTIONS')
      .writeHeader('Access-Control-Allow-Headers', 'Content-Type')
      .writeHeader('Access-Control-Max-Age', '86400').endWithoutBody();
  });
}

// ---- PUT ----

function put(services: UploadHttpServices, res: uWS.HttpResponse, req: uWS.HttpRequest): void {
  // everything from req is copied now: it is invalid after this call
  const path = parsePath(req.getUrl());
  const query = new URLSearchParams(req.getQuery() ?? '');
  const lengthHeader = req.getHeader('content-length');
  const contentType = normalizeContentType(req.getHeader('content-type'));
  const origin = allowedOrigin(services, req);
  const echo = origin || null;
  if (origin === null) return fail(res, '403 Forbidden', 'this page may not upload here', null, true);
  if (!path) return fail(res, '400 Bad Request', 'not an upload URL', echo, true);
  if (lengthHeader === '') return fail(res, '411 Length Required', 'send the file with a Content-Length', echo, true);
  const length = Number(lengthHeader);
  const expiresAt = Number(query.get('expires'));
  const signature = query.get('signature') ?? '';
  const signer = services.signer();
  if (!signer) return fail(res, '503 Service Unavailable', 'the upload service is starting; try again', echo, true);
  if (!Number.isSafeInteger(length) || length < 0) return fail(res, '400 Bad Request', 'Content-Length is not a number', echo, true);

  const upload = new PutRequest(services, res, path.id, length, echo);
  // the body waits (paused) until the slot is checked; what already came is kept
  res.onAborted(() => upload.aborted());
  res.onData((chunk, isLast) => upload.data(chunk, isLast));
  res.pause();
  void upload.check(signer, { name: path.name, contentType, expiresAt, signature });
}

/** One PUT: checked against its slot, then streamed into its file. */
class PutRequest {
  private state: 'checking' | 'writing' | 'finishing' | 'done' = 'checking';
  private received = 0;
  private early: Buffer[] = [];
  private lastSeen = false;
  private writer: PooledFileWriter | null = null;
  private slot: Upload | null = null;
  private paused = true;

  constructor(private readonly services: UploadHttpServices, private readonly res: uWS.HttpResponse, private readonly id: string,
    private readonly length: number, private readonly origin: string | null) {}

  async check(signer: SlotSigner, given: { name: string; contentType: string; expiresAt: number; signature: string }): Promise<void> {
    const { store } = this.services;
    let slot: Upload | undefined;
    try {
      slot = await store.get(this.id);
    } catch (error) {
      this.services.log.error({ err: error }, 'upload: slot lookup failed');
      return this.refuse('500 Internal Server Error', 'the upload could not be stored');
    }
    if (this.over) return;
    // XEP-0363 §6: the PUT URL is exactly the slot's; a made-up or altered one is refused
    if (!slot || slot.filename !== given.name || slot.slotExpiresAt !== given.expiresAt
      || !signer.verify({ id: slot.id, size: slot.size, contentType: slot.contentType, expiresAt: slot.slotExpiresAt }, given.signature)) {
      return this.refuse('403 Forbidden', 'this is not an upload slot of this server');
    }
    if (slot.state !== 'reserved') return this.refuse('409 Conflict', 'this slot was used already; request a new one');
    if (Date.now() >= slot.slotExpiresAt) return this.refuse('403 Forbidden', 'the upload slot has expired; request a new one');
    if (this.length !== slot.size) return this.refuse('400 Bad Request', `the slot is for ${slot.size} bytes, the request has ${this.length}`);
    if (given.contentType !== slot.contentType) {
      return this.refuse('415 Unsupported Media Type', `the slot is for ${slot.contentType}, the request is ${given.contentType}`);
    }
    // one use per slot, across nodes: the store hands the slot to exactly one PUT
    if (!(await store.claim(slot.id, Date.now()))) return this.refuse('409 Conflict', 'this slot was used already; request a new one');
    if (this.over) return void store.remove(slot.id).catch(() => {});
    this.slot = slot;
    try {
      this.writer = await PooledFileWriter.open(this.services.files.prepare(slot.id), (error) => {
        this.services.log.error({ err: error, upload: this.id }, 'upload: writing the file failed');
        this.discard();
        this.refuse('500 Internal Server Error', 'the upload could not be stored');
      });
    } catch (error) {
      this.services.log.error({ err: error, upload: this.id }, 'upload: the file could not be created');
      this.discard();
      return this.refuse('500 Internal Server Error', 'the upload could not be stored');
    }
    if (this.over) return this.discard();
    this.state = 'writing';
    const early = this.early;
    this.early = [];
    for (const chunk of early) this.writer.push(chunk);
    if (this.lastSeen) this.finish();
    else this.resumeWhenRoom();
  }

  /** Answered or aborted (also while an await was pending). */
  private get over(): boolean {
    return this.state === 'done';
  }

  data(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.state === 'done' || this.state === 'finishing') return;
    this.received += chunk.byteLength;
    if (this.received > this.length) {
      this.discard();
      return this.refuse('413 Content Too Large', `the body is longer than the ${this.length} bytes announced`);
    }
    if (this.state === 'checking') {
      // the chunk is valid only during this call: keep a copy (little comes while paused)
      this.early.push(Buffer.from(new Uint8Array(chunk)));
      this.lastSeen = isLast;
      return;
    }
    // copied into the writer's buffers right away
    this.writer!.push(new Uint8Array(chunk));
    if (isLast) this.finish();
    else if (!this.writer!.hasRoom) this.pauseUntilRoom();
  }

  aborted(): void {
    const wasDone = this.state === 'done';
    this.state = 'done';
    if (!wasDone) this.discard();
  }

  /** Back-pressure: the socket is not read while the file lags behind. */
  private pauseUntilRoom(): void {
    if (!this.paused) {
      this.res.pause();
      this.paused = true;
    }
    this.resumeWhenRoom();
  }

  private resumeWhenRoom(): void {
    this.writer!.whenRoom(() => {
      if (this.state !== 'writing' || !this.paused) return;
      this.paused = false;
      this.res.resume();
    });
  }

  private finish(): void {
    if (this.received !== this.length) {
      this.discard();
      return this.refuse('400 Bad Request', `the body has ${this.received} bytes, the slot is for ${this.length}`);
    }
    this.state = 'finishing';
    const slot = this.slot!;
    this.writer!.end(() => {
      this.services.store.complete(slot.id, Date.now()).then(() => {
        if (this.state === 'done') return;
        this.state = 'done';
        // a body that came whole while the slot was checked leaves the socket paused: the
        // connection's next request must be read
        if (this.paused) this.res.resume();
        this.res.cork(() => {
          this.res.writeStatus('201 Created').writeHeader('Content-Type', 'text/plain; charset=utf-8');
          if (this.origin) corsHeaders(this.res, this.origin);
          this.res.end('stored\n');
        });
      }, (error: unknown) => {
        this.services.log.error({ err: error, upload: slot.id }, 'upload: recording the file failed');
        this.discard();
        this.refuse('500 Internal Server Error', 'the upload could not be stored');
      });
    });
  }

  /** The upload failed after its slot was claimed: file and slot go (one use per slot). */
  private discard(): void {
    if (!this.slot) return;
    const { id } = this.slot;
    this.slot = null;
    this.writer?.destroy();
    rmSync(this.services.files.path(id), { force: true });
    void this.services.store.remove(id).catch(() => {});
  }

  private refuse(status: string, text: string): void {
    if (this.state === 'done') return;
    this.state = 'done';
    // the rest of the body is not read: the connection closes after the answer
    fail(this.res, status, text, this.origin, true);
  }
}

// ---- GET / HEAD ----

/** RFC 9110 §14.1.2: one byte range of a file of `size` bytes; null when absent or not one plain range, 'unsatisfiable' when outside. */
export function parseRange(header: string, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    // a suffix: the last N bytes
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== '' && Number(match[2]) < start) return null;
  }
  if (start >= size || size === 0) return 'unsatisfiable';
  return { start, end };
}

function get(services: UploadHttpServices, res: uWS.HttpResponse, req: uWS.HttpRequest, head: boolean): void {
  const path = parsePath(req.getUrl());
  const range = req.getHeader('range');
  const ifNoneMatch = req.getHeader('if-none-match');
  const origin = allowedOrigin(services, req) || null;
  if (!path) return fail(res, '404 Not Found', 'no such file', origin);
  let aborted = false;
  let onAbort = () => {};
  // the one onAborted handler of this response (uWS keeps only the last one registered)
  res.onAborted(() => {
    aborted = true;
    onAbort();
  });
  services.store.get(path.id).then((upload) => {
    if (aborted) return;
    if (!upload || upload.state !== 'stored' || upload.filename !== path.name) return fail(res, '404 Not Found', 'no such file', origin);
    serve(services, res, upload, { range, ifNoneMatch, origin, head }, () => aborted, (stop) => { onAbort = stop; });
  }, (error: unknown) => {
    services.log.error({ err: error }, 'upload: file lookup failed');
    if (!aborted) fail(res, '500 Internal Server Error', 'the file could not be read', origin);
  });
}

interface ServeRequest {
  range: string;
  ifNoneMatch: string;
  origin: string | null;
  head: boolean;
}

function serve(services: UploadHttpServices, res: uWS.HttpResponse, upload: Upload, request: ServeRequest, isAborted: () => boolean,
  whenAborted: (stop: () => void) => void): void {
  const etag = `"${upload.id}"`;
  const common = (status: string) => {
    res.writeStatus(status)
      .writeHeader('ETag', etag)
      // the content behind an id never changes
      .writeHeader('Cache-Control', 'public, max-age=31536000, immutable')
      .writeHeader('Accept-Ranges', 'bytes')
      .writeHeader('X-Content-Type-Options', 'nosniff')
      // a file is never a page of this origin, even if opened directly
      .writeHeader('Content-Security-Policy', "default-src 'none'; sandbox")
      .writeHeader('Content-Disposition', contentDisposition(upload.contentType, upload.filename));
    if (request.origin) corsHeaders(res, request.origin);
  };
  if (request.ifNoneMatch !== '' && request.ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
    return void res.cork(() => { common('304 Not Modified'); res.endWithoutBody(); });
  }
  const range = request.range === '' ? null : parseRange(request.range, upload.size);
  if (range === 'unsatisfiable') {
    return void res.cork(() => {
      common('416 Range Not Satisfiable');
      res.writeHeader('Content-Range', `bytes */${upload.size}`).end();
    });
  }
  const start = range ? range.start : 0;
  const end = range ? range.end : upload.size - 1;
  const length = end - start + 1;
  const headers = () => {
    common(range ? '206 Partial Content' : '200 OK');
    res.writeHeader('Content-Type', upload.contentType);
    if (range) res.writeHeader('Content-Range', `bytes ${start}-${end}/${upload.size}`);
  };
  if (request.head || upload.size === 0) {
    return void res.cork(() => { headers(); if (request.head) res.endWithoutBody(length); else res.end(); });
  }
  new FileResponse(res, services.files.path(upload.id), start, length, headers, isAborted, services.log,
    (text) => fail(res, '500 Internal Server Error', text, null)).start(whenAborted);
}
