// The admin HTTP API: JSON under /admin/api/ on the uWebSockets.js app, and the admin console (the
// web client's second entry, /admin/) that uses it. Off unless config.admin has a token, a JWT setting
// or admin accounts — then every request needs `Authorization: Bearer <token, admin JWT or console
// session>` (a console session comes from POST /admin/api/sign-in with an admin account's password:
// sign-in.ts). Without that configuration the paths are not attached at all, and answer 404 like any
// unknown path.
import { timingSafeEqual, createHash } from 'node:crypto';
import uWS from 'uWebSockets.js';
import { ZodError } from 'zod';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { isLoopbackAddress } from '../net/addresses.ts';
import type { HttpRoutes } from '../http/server.ts';
import type { AdminService } from './service.ts';
import { JwtVerifier, TokenError } from '../auth/tokens.ts';
import { AdminError } from './errors.ts';
import { adminRoutes, matchRoute, Reply, type AdminRuntime, type Route } from './routes.ts';
import { signInSchema } from './schemas.ts';
import type { AdminSignIn } from './sign-in.ts';
import { SaslError } from '../sasl/index.ts';
import { StaticFiles } from '../http/static-files.ts';

export const ADMIN_API_PREFIX = '/admin/api';
/** Largest request body: a card with a photo (base64) fits well below it. */
const MAX_BODY_BYTES = 1024 * 1024;

type Answer = { status: string; body: unknown; headers?: Record<string, string> };

export interface AdminApiSettings {
  readonly config: Config['admin'];
  readonly admin: AdminService;
  readonly log: Logger;
  /** The running server's part (sessions, certificates, DNS, archive, figures). */
  readonly runtime?: AdminRuntime;
  /** Password sign-in of admin accounts (config.admin.accounts). */
  readonly signIn?: AdminSignIn;
  /** The built web client (dist/webclient), whose admin/index.html is the console. */
  readonly webClientDir?: string;
}

export function adminApiEnabled(config: Config['admin']): boolean {
  return config.token !== undefined || config.jwt !== undefined || config.accounts.enabled;
}

/** The admin API's routes, or null when it is not configured (its paths then answer 404 like any other). */
export function adminApiRoutes(settings: AdminApiSettings): HttpRoutes | null {
  if (!adminApiEnabled(settings.config)) return null;
  const routes = adminRoutes(settings.admin, settings.runtime);
  const authorize = adminAuthorizer(settings.config, settings.signIn);
  const console = settings.webClientDir ? new StaticFiles(settings.webClientDir) : null;
  return (encrypted) => {
    const api = adminApiRoute(settings, routes, authorize, encrypted);
    return (app) => {
      api(app);
      if (console) consoleRoutes(app, console);
    };
  };
}

/**
 * The admin API's routes for one listener. On the plain HTTP listener only loopback clients (a local
 * reverse proxy, the CLI host) are served: a bearer token must not cross a network in clear.
 */
function adminApiRoute(settings: AdminApiSettings, routes: Route[], authorize: (header: string) => Promise<Answer | null>,
  encrypted: boolean) {

  const serve = (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
    // uWS: everything from req is read now; it is gone after this callback
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const url = req.getUrl();
    const authorization = req.getHeader('authorization');
    const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
    const allowed = encrypted || isLoopbackAddress(remoteAddress(res));
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    const reply = (answer: Answer) => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(answer.status).writeHeader('Content-Type', 'application/json; charset=utf-8').writeHeader('Cache-Control', 'no-store');
        for (const [name, value] of Object.entries(answer.headers ?? {})) res.writeHeader(name, value);
        res.end(JSON.stringify(answer.body));
      });
    };
    const run = (text: string) => {
      const answer = url === `${ADMIN_API_PREFIX}/sign-in` ? signIn(settings, method, text, remoteAddress(res)) : handle(routes, authorize, method, url, authorization, text);
      answer.then(reply, (error: unknown) => {
        settings.log.error({ err: error, method, url }, 'admin API request failed');
        reply({ status: '500 Internal Server Error', body: { error: 'internal error' } });
      });
    };
    if (!allowed) return reply({ status: '403 Forbidden', body: { error: 'the admin API is served over HTTPS (or to loopback clients)' } });
    if (!hasBody) return run('');
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        done = true;
        return reply({ status: '413 Payload Too Large', body: { error: `the body is larger than ${MAX_BODY_BYTES} bytes` } });
      }
      parts.push(Buffer.from(chunk.slice(0))); // uWS reuses the chunk's memory after this callback
      if (!isLast) return;
      done = true;
      run(Buffer.concat(parts).toString('utf8'));
    });
  };
  return (app: uWS.TemplatedApp) => {
    app.any(`${ADMIN_API_PREFIX}/*`, serve);
  };
}

/**
 * The console's sign-in, before any credential: GET says which ways are offered, POST runs SASL
 * PLAIN for an admin account (sign-in.ts) and answers a console session, or 401 with the SASL
 * condition and text.
 */
async function signIn(settings: AdminApiSettings, method: string, text: string, address: string): Promise<Answer> {
  const passwords = settings.signIn?.enabled === true;
  if (method === 'GET') {
    return { status: '200 OK', body: { token: settings.config.token !== undefined, jwt: settings.config.jwt !== undefined, password: passwords } };
  }
  if (method !== 'POST') return { status: '404 Not Found', body: { error: `no ${method} ${ADMIN_API_PREFIX}/sign-in` } };
  if (!passwords) return { status: '404 Not Found', body: { error: 'password sign-in is not enabled (admin.accounts.enabled)' } };
  let request;
  try {
    request = signInSchema.parse(JSON.parse(text));
  } catch {
    return { status: '400 Bad Request', body: { error: 'expected {"mechanism":"PLAIN","response":"<base64 PLAIN message>"}' } };
  }
  try {
    return { status: '200 OK', body: await settings.signIn!.signIn(Buffer.from(request.response, 'base64'), address) };
  } catch (error) {
    if (!(error instanceof SaslError)) throw error;
    return { status: '401 Unauthorized', body: { error: error.text ?? 'wrong address or password', condition: error.condition } };
  }
}

/** The admin console: /admin/ is the web client's admin/index.html; its assets are the web client's /assets/. */
function consoleRoutes(app: uWS.TemplatedApp, files: StaticFiles): void {
  const page = (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
    if (files.serve(res, '/admin/index.html', req.getHeader('if-none-match'), req.getHeader('accept-encoding'))) return;
    res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain; charset=utf-8')
      .end('The admin console is not built: run `npm run build -w @parley/webclient`.\n');
  };
  app.get('/admin', (res) => void res.writeStatus('301 Moved Permanently').writeHeader('Location', '/admin/').end());
  app.get('/admin/', page);
  app.get('/admin/index.html', page);
}

async function handle(routes: Route[], authorize: (header: string) => Promise<Answer | null>,
  method: string, url: string, authorization: string, text: string): Promise<Answer> {
  const refused = await authorize(authorization);
  if (refused) return refused;
  let segments: string[];
  try {
    segments = url.slice(ADMIN_API_PREFIX.length).split('/').filter(Boolean).map((segment) => decodeURIComponent(segment));
  } catch {
    return { status: '400 Bad Request', body: { error: 'bad URL encoding' } };
  }
  const match = matchRoute(routes, method, segments);
  if (!match) return { status: '404 Not Found', body: { error: `no ${method} ${url}` } };
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      return { status: '400 Bad Request', body: { error: 'the body is not JSON' } };
    }
  }
  try {
    const result = await match.route.handle(match.params, body);
    if (result instanceof Reply) return { status: result.status, body: result.body };
    return { status: '200 OK', body: result };
  } catch (error) {
    if (error instanceof AdminError) return { status: error.httpStatus, body: { error: error.message } };
    if (error instanceof ZodError) {
      const issues = error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      return { status: '400 Bad Request', body: { error: 'invalid request', issues } };
    }
    throw error;
  }
}

/** Checks the bearer credential: the static admin token, an admin JWT, or a console session. null = allowed. */
function adminAuthorizer(config: Config['admin'], consoleSessions: AdminSignIn | undefined): (header: string) => Promise<Answer | null> {
  const { token, jwt } = config;
  const tokenDigest = token ? digest(token) : null;
  const verifier = jwt ? new JwtVerifier(jwt) : null;
  const unauthorized = (error: string): Answer => ({
    status: '401 Unauthorized', body: { error }, headers: { 'WWW-Authenticate': 'Bearer realm="parley-admin"' },
  });
  return async (header) => {
    const presented = /^Bearer +(\S+)$/i.exec(header)?.[1];
    if (!presented) return unauthorized('an admin token is required (Authorization: Bearer …)');
    // compare digests so that the comparison takes the same time whatever the length
    if (tokenDigest && timingSafeEqual(digest(presented), tokenDigest)) return null;
    if (consoleSessions && presented.split('.').length === 3 && (await consoleSessions.verify(presented)) !== null) return null;
    if (verifier && presented.split('.').length === 3) {
      try {
        await verifier.verify(presented);
        return null;
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        if (error.problem === 'unavailable') return { status: '503 Service Unavailable', body: { error: error.message } };
        return unauthorized(error.message);
      }
    }
    return unauthorized('the admin token is not valid');
  };
}

/** The client's address, with uWS's IPv4-mapped IPv6 form turned back into IPv4. */
function remoteAddress(res: uWS.HttpResponse): string {
  const text = Buffer.from(res.getRemoteAddressAsText()).toString();
  if (/^(?:0{1,4}:){7}0{0,3}1$/.test(text)) return '::1';
  const mapped = /^(?:0{1,4}:){5}ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(text);
  if (!mapped) return text;
  const high = Number.parseInt(mapped[1]!, 16);
  const low = Number.parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
