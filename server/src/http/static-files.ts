// Serves the built web client (dist/webclient) from memory: small files, read once at start.
// Hashed assets under /assets/ are immutable; index.html is revalidated with its ETag. Text files
// go out brotli- or gzip-compressed as the request's Accept-Encoding allows (RFC 9110 §12.5.3):
// the build writes .br and .gz beside each one; a file without them is compressed here, once.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
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

/** Types worth compressing (images and fonts are compressed already). */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.webmanifest', '.txt']);
/** Smaller files go out as they are: the headers would cost more than the saving. */
const MIN_COMPRESS_BYTES = 512;

type Encoding = 'br' | 'gzip' | 'identity';

interface Variant {
  body: Buffer;
  etag: string;
}

interface StaticFile {
  contentType: string;
  cacheControl: string;
  variants: Partial<Record<Encoding, Variant>> & { identity: Variant };
}

/** The best encoding the client accepts among those we have: brotli, then gzip (q=0 refuses one). */
export function chooseEncoding(acceptEncoding: string, available: Partial<Record<Encoding, unknown>>): Encoding {
  const has = (encoding: Encoding) => encoding in available;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(name.trim(), q ? Number(q.slice(2)) || 0 : 1);
  }
  const weight = (encoding: string) => accepted.get(encoding) ?? accepted.get('*') ?? 0;
  for (const encoding of ['br', 'gzip'] as const) if (has(encoding) && weight(encoding) > 0) return encoding;
  return 'identity';
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
  serve(res: uWS.HttpResponse, url: string, ifNoneMatch: string, acceptEncoding = ''): boolean {
    const file = this.files.get(url === '/' ? '/index.html' : url);
    if (!file) return false;
    const encoding = chooseEncoding(acceptEncoding, file.variants);
    const variant = file.variants[encoding]!;
    const compressible = Object.keys(file.variants).length > 1;
    res.cork(() => {
      if (ifNoneMatch === variant.etag) {
        res.writeStatus('304 Not Modified').writeHeader('ETag', variant.etag);
        if (compressible) res.writeHeader('Vary', 'Accept-Encoding');
        res.end();
        return;
      }
      res.writeHeader('Content-Type', file.contentType)
        .writeHeader('Cache-Control', file.cacheControl)
        .writeHeader('ETag', variant.etag)
        .writeHeader('X-Content-Type-Options', 'nosniff');
      if (compressible) res.writeHeader('Vary', 'Accept-Encoding');
      if (encoding !== 'identity') res.writeHeader('Content-Encoding', encoding);
      res.end(variant.body);
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
      // the build's precompressed copies are variants of their file, not files of their own
      if ((path.endsWith('.br') || path.endsWith('.gz')) && existsSync(path.slice(0, -3))) continue;
      const url = '/' + relative(this.root, path).split(sep).join('/');
      const body = readFileSync(path);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}`;
      const file: StaticFile = {
        contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
        cacheControl: url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        variants: { identity: { body, etag: `${etag}"` } },
      };
      if (COMPRESSIBLE.has(extname(path)) && body.length >= MIN_COMPRESS_BYTES) {
        const br = existsSync(`${path}.br`) ? readFileSync(`${path}.br`)
          : brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } });
        const gzip = existsSync(`${path}.gz`) ? readFileSync(`${path}.gz`) : gzipSync(body, { level: 9 });
        if (br.length < body.length) file.variants.br = { body: br, etag: `${etag}-br"` };
        if (gzip.length < body.length) file.variants.gzip = { body: gzip, etag: `${etag}-gz"` };
      }
      this.files.set(url, file);
    }
  }
}
