// The BOSH endpoint on the uWebSockets.js app (XEP-0124 §5): POST bodies read under a size limit,
// CORS for a webmail on another origin, and one responder per HTTP request.
import type uWS from 'uWebSockets.js';
import type { Config } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import type { HttpRoutes } from '../../http/server.ts';
import { remoteAddressOf } from '../../http/remote-address.ts';
import type { ElementStreamFactory } from '../../stream/connection.ts';
import { BodyError, BodyReader, sidHint, terminateBody, type TerminalCondition } from './bosh-body.ts';
import { DEFAULT_CONTENT_TYPE } from './bosh-params.ts';
import type { BoshResponder } from './bosh-session.ts';
import type { BoshSessions } from './bosh-sessions.ts';
import { CorsPolicy } from './cors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** One HTTP request over uWS: answered once, never after its connection went away. */
class HttpResponder implements BoshResponder {
  open = true;

  constructor(private readonly res: uWS.HttpResponse, private readonly allowOrigin: string) {}

  aborted(): void {
    this.open = false;
  }

  /** The client's address; asked only for a session creation (valid until the answer is sent). */
  remoteAddress(): string {
    return remoteAddressOf(this.res);
  }

  send(body: string, contentType: string, status?: string, closeConnection = false): void {
    if (!this.open) return;
    this.open = false;
    const { res, allowOrigin } = this;
    res.cork(() => {
      if (status) res.writeStatus(status);
      res.writeHeader('Content-Type', contentType);
      if (allowOrigin !== '') res.writeHeader('Access-Control-Allow-Origin', allowOrigin).writeHeader('Vary', 'Origin');
      res.end(body, closeConnection);
    });
  }

  /** Drop the connection without an answer. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.res.close();
  }
}

/**
 * The BOSH endpoint on the HTTP listeners. One set of sessions serves both: a session's requests
 * may not all take the same listener.
 */
export function boshRoutes(config: Config['bosh'], sessions: BoshSessions, createSession: ElementStreamFactory, log: Logger): HttpRoutes {
  return (app, encrypted) => attachBosh(app, encrypted, config, sessions, createSession, log);
}

function attachBosh(app: uWS.TemplatedApp, encrypted: boolean, config: Config['bosh'], sessions: BoshSessions,
  createSession: ElementStreamFactory, log: Logger): void {
  const reader = new BodyReader(config.maxBodySize);
  const cors = new CorsPolicy(config.allowedOrigins, encrypted);

  /** A complete body: a new session, a request of a known one, or a binding error. */
  const handle = (text: string, responder: HttpResponder) => {
    let request;
    try {
      request = reader.read(text);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      return refuse(error.condition, text, responder);
    }
    const sid = request.attrs.sid;
    if (sid === undefined) return sessions.create(request, responder, responder.remoteAddress(), encrypted, createSession);
    const session = sessions.get(sid);
    if (!session) return sessions.unknown(responder);
    // XEP-0124 Security Considerations: requests of a session opened over TLS must stay on TLS; the
    // connection is dropped, the session is not ended (that would let anyone on the path end it)
    if (session.encrypted && !encrypted) return responder.close();
    try {
      session.handle(request, responder);
    } catch (error) {
      // a bug must not leave the session half-done: it ends like a stream with internal-server-error
      log.error({ err: error, sid }, 'BOSH request failed');
      session.terminate('internal-server-error', responder);
    }
  };

  /** A body we cannot read ends the session it names, if any (XEP-0124 §17.2). */
  const refuse = (condition: TerminalCondition, text: string, responder: HttpResponder, closeConnection = false) => {
    const session = sessions.get(sidHint(text) ?? '');
    if (session && !closeConnection) return session.terminate(condition, responder);
    session?.terminate(condition, { open: true, send: () => {} });
    responder.send(terminateBody(condition), DEFAULT_CONTENT_TYPE, undefined, closeConnection);
  };

  app.post(config.path, (res, req) => {
    // uWS: everything from req is read now; it is gone after this callback
    const allowOrigin = cors.allow(req.getHeader('origin'), req.getHeader('host'));
    const declaredLength = req.getHeader('content-length');
    const responder = new HttpResponder(res, allowOrigin ?? '');
    res.onAborted(() => responder.aborted());
    if (allowOrigin === null) {
      // a page on a foreign origin must not drive sessions (text/plain POSTs skip the preflight)
      responder.send('origin not allowed\n', 'text/plain; charset=utf-8', '403 Forbidden');
      return;
    }
    // a declared length over the limit is refused on the first chunk (which names the session)
    let size = declaredLength !== '' && Number(declaredLength) > config.maxBodySize ? Number.POSITIVE_INFINITY : 0;
    let parts: Buffer[] | null = null;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > config.maxBodySize) {
        // stop reading; the body named its session in its first bytes
        done = true;
        const head = parts ? Buffer.concat(parts) : Buffer.from(chunk.slice(0, 2048));
        return refuse('policy-violation', head.subarray(0, 2048).toString('utf8'), responder, true);
      }
      if (!isLast) {
        // uWS reuses the chunk's memory after this callback: copy it
        (parts ??= []).push(Buffer.from(chunk.slice(0)));
        return;
      }
      done = true;
      let text: string;
      try {
        text = parts === null ? decoder.decode(chunk) : decoder.decode(Buffer.concat([...parts, Buffer.from(chunk)]));
      } catch {
        // not UTF-8: a lossy look at the start tag still finds the session to end
        const head = (parts ? parts[0]! : Buffer.from(chunk)).subarray(0, 2048).toString('utf8');
        return refuse('bad-request', head, responder);
      }
      try {
        handle(text, responder);
      } catch (error) {
        log.error({ err: error }, 'BOSH request failed');
        responder.send(terminateBody('internal-server-error'), DEFAULT_CONTENT_TYPE);
      }
    });
  });

  // CORS preflight (Fetch standard): only POST with a Content-Type header is ever needed
  app.options(config.path, (res, req) => {
    const allowOrigin = cors.allow(req.getHeader('origin'), req.getHeader('host'));
    if (allowOrigin === null) {
      res.writeStatus('403 Forbidden').end();
      return;
    }
    res.writeStatus('204 No Content').writeHeader('Allow', 'POST, OPTIONS');
    if (allowOrigin !== '') {
      res.writeHeader('Access-Control-Allow-Origin', allowOrigin).writeHeader('Vary', 'Origin')
        .writeHeader('Access-Control-Allow-Methods', 'POST, OPTIONS')
        .writeHeader('Access-Control-Allow-Headers', 'Content-Type')
        .writeHeader('Access-Control-Max-Age', '86400');
    }
    res.end();
  });

  app.get(config.path, (res) => {
    res.writeHeader('Content-Type', 'text/plain; charset=utf-8')
      .end('Parley BOSH endpoint (XEP-0124, XEP-0206): POST <body/> elements here.\n');
  });
}
