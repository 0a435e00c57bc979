// The BOSH endpoint on the uWebSockets.js app (XEP-0124 §5): POST bodies read under a size limit,
// CORS for a webmail on another origin, and one responder per HTTP request.
import type uWS from 'uWebSockets.js';
import { StreamError } from '@parley/shared';
import type { Config } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import type { HttpRoutes } from '../../http/server.ts';
import { remoteAddressOf } from '../../http/remote-address.ts';
import type { ElementStreamFactory } from '../../stream/connection.ts';
import { BodyError, BodyReader, sidHint, terminateBody, type TerminalCondition } from './bosh-body.ts';
import { DEFAULT_CONTENT_TYPE } from './bosh-params.ts';
import type { BoshResponder } from './bosh-session.ts';
import type { BoshSessions } from './bosh-sessions.ts';
import type { OriginPolicy } from '../origins.ts';

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

export interface BoshOptions {
  readonly config: Config['bosh'];
  /** One set of sessions for both listeners: a session's requests may not all take the same one. */
  readonly sessions: BoshSessions;
  /** Which pages may post (CORS). */
  readonly origins: OriginPolicy;
  readonly log: Logger;
}

/** The BOSH endpoint on the HTTP listeners; each session gets the stream `createSession` opens. */
export function boshRoutes(options: BoshOptions, createSession: ElementStreamFactory): HttpRoutes {
  return (encrypted) => boshRoute(options, createSession, encrypted);
}

/** The BOSH routes of one listener; the returned function attaches them to an app (or an SNI domain of it). */
function boshRoute(options: BoshOptions, createSession: ElementStreamFactory, encrypted: boolean) {
  const { config, sessions, origins, log } = options;
  const reader = new BodyReader(config.maxBodySize);
  /** The Access-Control-Allow-Origin value: '' when none is needed (not a browser), null when refused. */
  const allowOrigin = (origin: string) => {
    const decision = origins.decide(origin);
    return decision === 'refused' ? null : decision === 'allowed' ? origin : '';
  };

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

  /** The session a body we cannot read names; a session opened over TLS is not ended from plain HTTP. */
  const namedSession = (text: string) => {
    const session = sessions.get(sidHint(text) ?? '');
    return session && (encrypted || !session.encrypted) ? session : undefined;
  };

  /** A body we cannot read ends the session it names, if any (XEP-0124 §17.2). */
  const refuse = (condition: TerminalCondition, text: string, responder: HttpResponder, closeConnection = false) => {
    const session = namedSession(text);
    if (session && !closeConnection) return session.terminate(condition, responder);
    session?.terminate(condition, { open: true, send: () => {} });
    responder.send(terminateBody(condition), DEFAULT_CONTENT_TYPE, undefined, closeConnection);
  };

  const post = (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
    // uWS: everything from req is read now; it is gone after this callback
    const allowed = allowOrigin(req.getHeader('origin'));
    const declaredLength = req.getHeader('content-length');
    const responder = new HttpResponder(res, allowed ?? '');
    res.onAborted(() => responder.aborted());
    if (allowed === null) {
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
        // not UTF-8 (RFC 6120 §11.6): the stream of the session it names (a lossy look at the start
        // tag finds it) ends with <not-well-formed/>; without a session it is a bad request
        const head = (parts ? parts[0]! : Buffer.from(chunk)).subarray(0, 2048).toString('utf8');
        const session = namedSession(head);
        if (session) return session.rejectInput(new StreamError('not-well-formed', 'the body is not valid UTF-8 (RFC 6120 §11.6)'), responder);
        return refuse('bad-request', head, responder);
      }
      try {
        handle(text, responder);
      } catch (error) {
        log.error({ err: error }, 'BOSH request failed');
        responder.send(terminateBody('internal-server-error'), DEFAULT_CONTENT_TYPE);
      }
    });
  };

  // CORS preflight (Fetch standard): only POST with a Content-Type header is ever needed
  const preflight = (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
    const allowed = allowOrigin(req.getHeader('origin'));
    if (allowed === null) {
      res.writeStatus('403 Forbidden').end();
      return;
    }
    res.writeStatus('204 No Content').writeHeader('Allow', 'POST, OPTIONS');
    if (allowed !== '') {
      res.writeHeader('Access-Control-Allow-Origin', allowed).writeHeader('Vary', 'Origin')
        .writeHeader('Access-Control-Allow-Methods', 'POST, OPTIONS')
        .writeHeader('Access-Control-Allow-Headers', 'Content-Type')
        .writeHeader('Access-Control-Max-Age', '86400');
    }
    res.end();
  };

  const describe = (res: uWS.HttpResponse) => {
    res.writeHeader('Content-Type', 'text/plain; charset=utf-8')
      .end('Parley BOSH endpoint (XEP-0124, XEP-0206): POST <body/> elements here.\n');
  };

  return (app: uWS.TemplatedApp) => {
    app.post(config.path, post);
    app.options(config.path, preflight);
    app.get(config.path, describe);
  };
}
