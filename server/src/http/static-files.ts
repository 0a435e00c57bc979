// Serves the built web client (dist/webclient) from memory: small files, read once at start.
// Hashed assets under /assets/ are immutable; index.html is revalidated with its ETag.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type uWS from 'uWebSockets.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
}

export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(readonly root: string) {
    if (existsSync(root)) this.load(root);
  }

  get available(): boolean {
    return this.files.has('/index.html');
  }

  /** Answer a GET for `url`; false when there is no such file. */
  serve(res: uWS.HttpResponse, url: string, ifNoneMatch: string): boolean {
    const file = this.files.get(url === '/' ? '/index.html' : url);
    if (!file) return false;
    res.cork(() => {
      if (ifNoneMatch === file.etag) {
        res.writeStatus('304 Not Modified').writeHeader('ETag', file.etag).end();
        return;
      }
      res.writeHeader('Content-Type', file.contentType)
        .writeHeader('Cache-Control', file.cacheControl)
        .writeHeader('ETag', file.etag)
        .writeHeader('X-Content-Type-Options', 'nosniff')
        .end(file.body);
    });
    return true;
  }

  private load(dir: string): void {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        this.load(path);
        continue;
      }
      const url = '/' + relative(this.root, path).split(sep).join('/');
      const body = readFileSync(path);
      this.files.set(url, {
        body,
        contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        cacheControl: url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
  }
}
