// The server's one typed configuration: defaults, bounds, file and environment overrides.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
/** A web origin (RFC 6454): scheme://host[:port], a trailing '/' tolerated. */
const webOrigin = /^https?:\/\/[^/\s]+\/?$/;
const originOrAny = /^(\*|https?:\/\/[^/\s]+)$/;

/** How JWTs are verified (auth/tokens.ts): exactly one of an HS256 secret or a JWKS URL. */
const jwtFields = {
  /** HS256 shared secret, at least 32 characters (256 bits, RFC 7518 §3.2). */
  secret: z.string().min(32).optional(),
  /** The suite's JWKS (RS256, PS256, ES256, EdDSA keys). */
  jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Required 'aud' claim. */
  audience: z.string().min(1),
  /** Required 'iss' claim, when set. */
  issuer: z.string().min(1).optional(),
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
};
const oneKeySource = (value: { secret?: string | undefined; jwksUrl?: string | undefined }) => !!value.secret !== !!value.jwksUrl;
const oneKeySourceMessage = { message: 'give exactly one of secret or jwksUrl' };

export const configSchema = z.object({
  /** Folder for the database, certificates and other state. */
  dataDir: z.string().default('./data'),
  /** Where the state stores live (data-folder.ts): the data folder's SQLite file, or PostgreSQL for a cluster. */
  storage: z.object({
    /** 'sqlite': `dataDir/parley.db`, nothing to install (storage/sqlite/); 'postgres': shared by nodes (storage/postgres/). */
    backend: z.enum(['sqlite', 'postgres']).default('sqlite'),
    /**
     * 'normal': what a client was answered for survives a crash or kill of the process; 'full': also
     * a power loss or OS crash (an fsync per commit). SQLite's `synchronous` in WAL mode (the
     * embedded database and archive).
     */
    synchronous: z.enum(['normal', 'full']).default('normal'),
    postgres: z.object({
      /** libpq connection URI, postgres://user:password@host:port/database; env PARLEY_POSTGRES_URL. */
      url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
      /** Connections each node keeps open at most. */
      poolSize: z.number().int().min(1).max(1000).default(10),
    }).prefault({}),
  }).prefault({}).refine((storage) => storage.backend !== 'postgres' || storage.postgres.url !== undefined,
    { message: 'storage.backend postgres needs storage.postgres.url', path: ['postgres', 'url'] }),
  /** Domains served from the first start (more are added with `parley domain add`). */
  domains: z.array(z.string()).default(['localhost']),
  /** Address the listeners bind to. */
  bind: z.string().default('0.0.0.0'),
  c2s: z.object({
    port: port.default(5222),
    /** Direct TLS (XEP-0368); 0 picks a free port, -1 turns it off. */
    tlsPort: z.number().int().min(-1).max(65535).default(5223),
    /** RFC 6120 §5.3.1: STARTTLS is mandatory unless plaintext is allowed for loopback peers (benchmarks, tests). */
    allowPlaintextOnLoopback: z.boolean().default(false),
  }).prefault({}),
  /** Server-to-server federation (RFC 6120 on `jabber:server`): server/src/s2s/. */
  s2s: z.object({
    /** Federation at all: off, stanzas to other domains bounce with remote-server-not-found and nothing listens. */
    enabled: z.boolean().default(true),
    /** STARTTLS port (RFC 6120 §14.7: 5269), on `bind`; 0 picks a free port. */
    port: port.default(5269),
    /** Direct TLS s2s (XEP-0368, ALPN xmpp-server, `_xmpps-server._tcp` records, usually 5270); -1 = off. */
    tlsPort: z.number().int().min(-1).max(65535).default(-1),
    /** PEM bundle of CAs trusted for peers' certificates besides the system store (a private CA, tests). */
    trustedCaFile: z.string().optional(),
    /** RFC 6120 §5.3.1: TLS is mandatory on s2s streams both ways (false: plaintext on loopback peers only, for benchmarks). */
    requireEncryption: z.boolean().default(true),
    /**
     * Peers' certificates (XEP-0178, XEP-0220): 'allow-dialback' accepts a peer whose certificate does
     * not verify when it proves its domain by dialback; 'require-valid' accepts only certificates that
     * verify for the peer's domain (system store + trustedCaFile). Per served domain in the directory too.
     */
    certificates: z.enum(['allow-dialback', 'require-valid']).default('allow-dialback'),
    /** Seconds to reach and authenticate with a peer (DNS, connect, TLS, dialback); its queued stanzas bounce after that. */
    connectTimeoutSeconds: z.number().min(1).max(28).default(20),
    /** Seconds without a stanza either way after which a link is closed (it is opened again when needed). */
    idleSeconds: z.number().min(1).default(600),
    /** Stanzas held for a peer while its link is being set up; more bounce with resource-constraint. */
    maxQueuedStanzas: z.number().int().min(10).default(1000),
    /** Largest stanza from a peer in characters (RFC 6120 §13.12); bigger ones end its stream with policy-violation. */
    maxStanzaSize: z.number().int().min(10_000).default(512 * 1024),
    /** Links (in + out) at once; more incoming connections are refused with policy-violation. */
    maxLinks: z.number().int().min(1).default(10_000),
  }).prefault({}),
  /**
   * External components (XEP-0114): gateways and bots serving their own domain over a stream of
   * their own. The listener starts only when at least one component is configured.
   */
  components: z.object({
    /** XEP-0114 has no registered port; 5347 is the one Prosody and ejabberd use. */
    port: port.default(5347),
    /**
     * Loopback unless set: a component stream is not encrypted (XEP-0114 §4), so components should
     * run beside the server (Prosody's component_interface does the same).
     */
    bind: z.string().default('127.0.0.1'),
    /** Component domain → the secret it proves in its handshake (XEP-0114 §3). */
    services: z.record(z.string(), z.object({ secret: z.string().min(16, 'a component secret needs at least 16 characters') })).default({}),
  }).prefault({}),
  /** DNS lookups (server/src/dns/): Node's resolver with these servers, not the system's getaddrinfo. */
  dns: z.object({
    /** `"127.0.0.53"`, `"127.0.0.53:5353"`, `"[::1]:5353"`; [] = the servers in /etc/resolv.conf. */
    servers: z.array(z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|[0-9a-fA-F:]+|\[[0-9a-fA-F:]+\]:\d{1,5})$/, 'an IP address, with :port if not 53')).default([]),
    /** A lookup without an answer after this long fails (so a stanza to a domain that does not resolve bounces in bounded time). */
    timeoutMs: z.number().int().min(100).max(30_000).default(5000),
    /** Queries per server within timeoutMs. */
    tries: z.number().int().min(1).max(5).default(2),
    /** Longest time an answer is cached, whatever its TTL. */
    maxCacheSeconds: z.number().int().min(0).max(86_400).default(3600),
    /** How long SRV answers are cached (Node's resolver does not report their TTL). */
    srvCacheSeconds: z.number().int().min(0).max(86_400).default(300),
    /** How long "no such name / no such record" is cached. */
    negativeCacheSeconds: z.number().int().min(0).max(3600).default(60),
    cacheSize: z.number().int().min(10).default(10_000),
  }).prefault({}),
  http: z.object({
    port: port.default(5280),
    /** HTTPS listener with the same routes; -1 turns it off. */
    tlsPort: z.number().int().min(-1).max(65535).default(5281),
    websocketPath: z.string().default('/xmpp-websocket'),
    /** The built web client served at '/' (`npm run build -w @parley/webclient`). */
    webClientDir: z.string().default(fileURLToPath(new URL('../../dist/webclient', import.meta.url))),
    /**
     * Base URLs where browsers reach this server ("https://chat.example.com", behind a proxy too):
     * pages there are the server's own for WebSocket and BOSH origin checks (transport/origins.ts).
     * Unset: http(s)://localhost, 127.0.0.1, [::1] and every served domain, on the listeners' ports.
     */
    publicUrls: z.array(z.string().regex(webOrigin, 'scheme://host[:port], without a path')).optional(),
  }).prefault({}),
  /** XMPP over WebSocket (RFC 7395) at http.websocketPath on the HTTP listeners. */
  websocket: z.object({
    /** Other web origins whose pages may open a WebSocket, as for BOSH; '*' = any. Clients without an Origin header (not browsers) always may. */
    allowedOrigins: z.array(z.string().regex(originOrAny)).default([]),
  }).prefault({}),
  limits: z.object({
    /** RFC 6120 §13.12: largest stanza accepted, in characters; bigger ones end the stream with policy-violation. */
    maxStanzaSize: z.number().int().min(10_000).default(256 * 1024),
    /** Seconds a connection may take to authenticate before connection-timeout. */
    authTimeoutSeconds: z.number().min(0.1).default(30),
    /** Messages kept per offline user; more are bounced with service-unavailable. */
    offlineMessages: z.number().int().min(0).default(1000),
    /** Contacts per roster, however the items come (roster set, subscription requests and approvals); also pending requests per account. */
    rosterItems: z.number().int().min(10).default(2000),
    /** Subscription requests one account may send a minute (a burst of as many at once); more get policy-violation (XEP-0205 §3). */
    subscriptionRequestsPerMinute: z.number().int().min(1).default(60),
    /**
     * Failed logins from one address (a /64 for IPv6) before its further attempts are spaced out:
     * authDelayMs, doubling per failure, up to authMaxDelayMs; an attempt that would wait longer is
     * refused (sasl/throttle.ts).
     */
    authFailures: z.number().int().min(2).default(5),
    /** Failed logins for one account, from all addresses, before every login to it is delayed (never refused). */
    authAccountFailures: z.number().int().min(5).default(20),
    authDelayMs: z.number().int().min(50).max(10_000).default(1000),
    /** The longest delay; at most a third of authTimeoutSeconds is used, so that a delayed login still gets its answer. */
    authMaxDelayMs: z.number().int().min(100).max(60_000).default(10_000),
    /** Failures are forgotten this long after the last one. */
    authFailureWindowSeconds: z.number().int().min(10).max(86_400).default(600),
    /** Failed SASL attempts on one stream before it is closed (RFC 6120 §6.4.5 asks 2–5). */
    authRetriesPerStream: z.number().int().min(2).max(5).default(5),
    /**
     * Archive entries and offline messages that may wait behind a commit still running (the archive's
     * writer thread, PostgreSQL) before client streams that add more stop reading until theirs are
     * committed (storage/group-commit.ts `congested`): the storage's pace then sets the clients'.
     */
    storageWaitingWrites: z.number().int().min(1).default(100_000),
    /**
     * Bytes a client may send while its stream's input waits (behind an asynchronous handler, or
     * held by storageWaitingWrites) before the stream is closed with policy-violation: what waits is
     * kept parsed, and a WebSocket's reading cannot be paused.
     */
    waitingInputBytes: z.number().int().min(64 * 1024).default(4 * 1024 * 1024),
    /** Bytes queued for a reader that does not read before its stream is closed. */
    sendBufferBytes: z.number().int().min(64 * 1024).default(4 * 1024 * 1024),
    /** Concurrent connections per IP address. */
    connectionsPerIp: z.number().int().min(1).default(200),
    /** Seconds of silence on a WebSocket before it is pinged and, without answer, dropped. */
    websocketIdleSeconds: z.number().int().min(8).default(120),
  }).prefault({}),
  /** Sign-in tokens (XEP-0484 FAST) that clients keep instead of the password; offered in SASL2 over TLS. */
  fast: z.object({
    enabled: z.boolean().default(true),
    /** How long a token is valid: a device unused for longer signs in with its password again. 1 hour to 1 year. */
    tokenLifetimeSeconds: z.number().int().min(3600).max(365 * 86_400).default(14 * 86_400),
    /** A token older than this is replaced at its next use (XEP-0484 §3.5); 0 rotates at every use. */
    rotateAfterSeconds: z.number().int().min(0).max(365 * 86_400).default(86_400),
  }).prefault({}),
  /** BOSH (XEP-0124 + XEP-0206) on the HTTP listeners, beside WebSocket. */
  bosh: z.object({
    path: z.string().regex(/^\/\S*$/).default('/http-bind'),
    /** Longest time (s) a request is held before an empty answer (XEP-0124 'wait'); clients asking more get this. */
    maxWait: z.number().int().min(1).max(300).default(60),
    /** Requests held at once per session (XEP-0124 'hold'); clients asking more get this. */
    maxHold: z.number().int().min(0).max(5).default(1),
    /** Cap on a session's 'requests' window (it gets hold + 1, at least 2: XEP-0124 §7.2, §11). */
    maxRequests: z.number().int().min(2).max(10).default(6),
    /** Seconds without any request before the session ends (XEP-0124 §10 'inactivity'). */
    maxInactivity: z.number().int().min(1).max(600).default(60),
    /** Longest pause (s) a client may ask for (XEP-0124 §10 'maxpause'); 0 turns pausing off. */
    maxPause: z.number().int().min(0).max(3600).default(120),
    /** Shortest interval (s) between empty requests of a polling session (XEP-0124 §12 'polling'). */
    polling: z.number().int().min(0).max(60).default(2),
    /** Largest request body in bytes; bigger ones end the session with policy-violation. Keep above limits.maxStanzaSize. */
    maxBodySize: z.number().int().min(10_000).max(16 * 1024 * 1024).default(256 * 1024 + 16 * 1024),
    /** Requests per second one session may make before it ends with policy-violation (overactivity, XEP-0124 §11). */
    requestsPerSecond: z.number().int().min(1).default(50),
    /** Concurrent BOSH sessions per client IP address. */
    sessionsPerIp: z.number().int().min(1).default(200),
    /** Other origins (scheme://host[:port]) allowed (CORS) besides the server's own pages (http.publicUrls); '*' = any. */
    allowedOrigins: z.array(z.string().regex(originOrAny)).default([]),
  }).prefault({}),
  /** Suite integration: the embedded directory and its live updates (directory/, suite-bus/). */
  directory: z.object({
    /** How often (ms) the running server reads events written by the `parley` CLI. */
    eventPollMs: z.number().int().min(50).max(60_000).default(1000),
  }).prefault({}),
  /** JSON admin API under /admin/api/ on the HTTP listeners: off (404) unless a token or JWT setting is given. */
  admin: z.object({
    /** Static bearer token (at least 32 characters); env PARLEY_ADMIN_TOKEN. */
    token: z.string().min(32).optional(),
    /** Admin JWTs (e.g. from the suite's admin console); use an audience no user token carries. */
    jwt: z.object(jwtFields).refine(oneKeySource, oneKeySourceMessage).optional(),
    /**
     * Admin accounts sign in to the console with their password (SASL PLAIN, admin/sign-in.ts):
     * accounts holding `role` (directly or through a group) get a console session of `sessionMinutes`.
     */
    accounts: z.object({
      enabled: z.boolean().default(false),
      role: z.string().min(1).max(64).default('admin'),
      sessionMinutes: z.number().int().min(5).max(24 * 60).default(60),
    }).prefault({}),
  }).prefault({}),
  /** Single sign-on: SASL OAUTHBEARER (RFC 7628) with the suite's JWTs; off unless set. */
  sso: z.object({
    ...jwtFields,
    /** The claim naming the user (an address like alice@example.com, or a localpart); 'sub' when it is missing. */
    userClaim: z.string().min(1).default('email'),
  }).refine(oneKeySource, oneKeySourceMessage).optional(),
  /** Delegate password checks to the suite's core over HTTP (auth/core-backend.ts); SCRAM is then not offered. */
  coreAuth: z.object({
    url: z.url({ protocol: /^https?$/ }),
    timeoutMs: z.number().int().min(100).max(60_000).default(3000),
    /** How long a definite answer is reused (0 = never). */
    cacheSeconds: z.number().int().min(0).max(3600).default(60),
    cacheSize: z.number().int().min(1).default(10_000),
  }).optional(),
  /** The suite's message bus; without it, directory changes come from the admin API and the CLI only. */
  bus: z.object({
    nats: z.object({
      servers: z.array(z.string().min(1)).min(1),
      /** Subjects are `<prefix>.domain.created`, `<prefix>.user.disabled`… (suite-bus/nats.ts). */
      subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('suite'),
      user: z.string().optional(),
      pass: z.string().optional(),
      token: z.string().optional(),
    }).optional(),
  }).prefault({}),
  /** The conversation archive (XEP-0313 MAM with XEP-0431 full-text search): server/src/archive/. */
  archive: z.object({
    enabled: z.boolean().default(true),
    /** 'sqlite': embedded, FTS5 in the data folder; 'elasticsearch': the cluster below (a local queue covers outages). */
    backend: z.enum(['sqlite', 'elasticsearch']).default('sqlite'),
    /**
     * 'sqlite' only: archive writes (rows, full-text index, retention) run in a thread of their own
     * with its own database connection, so they take another core than the server's event loop; the
     * group commit waits for the thread's answer before held output goes out.
     */
    writerThread: z.boolean().default(true),
    /** XEP-0441 default for users who set no preference. */
    defaultPolicy: z.enum(['always', 'never', 'roster']).default('always'),
    /** Entries older than this many days are pruned (hourly and at start); 0 keeps everything. */
    retentionDays: z.number().int().min(0).max(36_500).default(0),
    /** Results per page when the query names no RSM <max/>. */
    defaultPageSize: z.number().int().min(1).max(1000).default(50),
    /** Largest page: a bigger <max/> is capped to it (XEP-0059 §2.1). */
    maxPageSize: z.number().int().min(10).max(1000).default(250),
    /** Longest full-text search text (characters) and most terms in it; more is bad-request. */
    maxSearchLength: z.number().int().min(10).max(10_000).default(500),
    maxSearchTerms: z.number().int().min(1).max(64).default(16),
    /** Most ids in one 'ids' field. */
    maxIds: z.number().int().min(1).max(1000).default(100),
    /**
     * XEP-0424: a retraction naming a message by its 'id' or origin-id finds it among the
     * conversation's newest this many entries (by archive id at any age).
     */
    retractionLookback: z.number().int().min(100).max(1_000_000).default(10_000),
    elasticsearch: z.object({
      /** The node(s) to talk to, e.g. http://127.0.0.1:9200 (client @elastic/elasticsearch 7.x: the cluster must be 7.x). */
      nodes: z.array(z.string().url()).min(1).default(['http://127.0.0.1:9200']),
      username: z.string().optional(),
      password: z.string().optional(),
      /** Index (and template pattern prefix) holding every archive. */
      index: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/).default('parley-archive'),
      shards: z.number().int().min(1).max(64).default(1),
      replicas: z.number().int().min(0).max(8).default(1),
      /** Message documents per bulk request (one per message, both archives); the rest waits in the local queue. */
      bulkSize: z.number().int().min(1).max(10_000).default(1000),
      /** Bulk requests in flight at once (each of bulkSize documents at most). */
      parallelBulks: z.number().int().min(1).max(16).default(3),
      /** Per-request timeout (ms). */
      requestTimeoutMs: z.number().int().min(100).default(10_000),
      /** How long a query waits for queued entries to be indexed before it fails with resource-constraint (ms). */
      queryWaitMs: z.number().int().min(0).default(5000),
      /** Longest wait between retries while the cluster is unreachable (ms). */
      maxRetryDelayMs: z.number().int().min(100).default(30_000),
    }).prefault({}),
  }).prefault({}),
  /** XEP-0363 HTTP file upload (components/upload/): a service upload.<domain> per served domain. */
  upload: z.object({
    enabled: z.boolean().default(true),
    /** Largest file (bytes) a slot is given for; announced in disco (max-file-size). */
    maxFileSize: z.number().int().min(1024).max(16 * 1024 ** 3).default(100 * 1024 * 1024),
    /** Bytes one user may hold (stored files, uploads under way, live slots). */
    quotaBytes: z.number().int().min(1024).default(1024 ** 3),
    /** Files are deleted this many days after their upload (hourly and at start); 0 keeps them. */
    retentionDays: z.number().int().min(0).max(36_500).default(30),
    /** Seconds a slot may wait for its PUT. */
    slotSeconds: z.number().int().min(10).max(86_400).default(300),
    /** Where files are kept (default: <dataDir>/uploads); a folder every node sees, in a cluster. */
    directory: z.string().optional(),
    /** Base URL of the PUT and GET URLs (https://files.example.com, no path); default: the first http.publicUrls entry, else this server's HTTP(S) port on the user's domain. */
    baseUrl: z.string().regex(webOrigin, 'scheme://host[:port], without a path').optional(),
    /** Web origins (besides the server's own pages) whose pages may upload and read files with CORS, e.g. the webmail; '*' = any. */
    allowedOrigins: z.array(z.string().regex(originOrAny)).default([]),
    /** Per domain: enabled: false turns the service off there, maxFileSize and quotaBytes replace the defaults (lower or higher). */
    domains: z.record(z.string(), z.object({
      enabled: z.boolean().optional(),
      maxFileSize: z.number().int().min(1024).max(16 * 1024 ** 3).optional(),
      quotaBytes: z.number().int().min(1024).optional(),
    })).default({}),
  }).prefault({}),
  /**
   * Options of the feature modules by module name (server/src/modules/), each checked by the
   * module's own schema with its defaults and floors. Limits that several modules hold to stay in
   * limits (rosterItems, offlineMessages, subscriptionRequestsPerMinute); the archive's in archive.
   */
  modules: z.record(z.string(), z.unknown()).default({}),
  /** Prometheus metrics at GET /metrics on the HTTP listeners (metrics/http.ts): off unless enabled. */
  metrics: z.object({
    enabled: z.boolean().default(false),
    /** Bearer token a scrape must present (at least 32 characters); without it only loopback clients are served. */
    token: z.string().min(32).optional(),
  }).prefault({}),
  /** This Parley node among the nodes that share one state storage and archive (the cluster issue builds on it). */
  node: z.object({
    /** 0–15, different on every node: archive ids carry it, so that two nodes never make the same id (archive/ids.ts). */
    index: z.number().int().min(0).max(15).default(0),
  }).prefault({}),
  /**
   * Cluster mode (server/src/cluster/): the nodes that share one state storage talk over NATS —
   * the session table, stanzas for each other's sessions, room ownership, membership by heartbeats.
   * Without `nats` the server is a single node (or the workers of `parley start --workers N`, which
   * talk through their primary process).
   */
  cluster: z.object({
    nats: z.object({
      servers: z.array(z.string().min(1)).min(1),
      /** Subjects are `<prefix>.all.<topic>`, `<prefix>.node.<node>`, `<prefix>.req.<node>.<topic>`. */
      subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('parley.cluster'),
      user: z.string().optional(),
      pass: z.string().optional(),
      token: z.string().optional(),
    }).optional(),
    /**
     * This node's name, the same at every start (a node that starts again clears what its earlier
     * run left in the shared table); default: a name made at each start.
     */
    nodeName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    /**
     * How the workers of `parley start --workers N` reach each other without NATS: 'sockets', a
     * mesh of local sockets between them (cluster/socket-bus.ts), or 'ipc', through the primary
     * process (cluster/ipc-bus.ts: one more hop, kept for comparison).
     */
    workerBus: z.enum(['sockets', 'ipc']).default('sockets'),
    /** How often a node says it is alive (ms). */
    heartbeatMs: z.number().int().min(100).max(60_000).default(1000),
    /** A node not heard from for this long is gone: its sessions leave the table (ms, ≥ 3 heartbeats). */
    deadAfterMs: z.number().int().min(300).max(600_000).default(5000),
  }).prefault({}).refine((cluster) => cluster.deadAfterMs >= 3 * cluster.heartbeatMs,
    { message: 'deadAfterMs must be at least three heartbeats (heartbeatMs)' }),
  log: z.object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  }).prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Build the config from defaults, an optional JSON file, then PARLEY_* environment variables. */
export function loadConfig(options: { file?: string; dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const env = options.env ?? process.env;
  const fromFile = options.file ? (JSON.parse(readFileSync(options.file, 'utf8')) as ConfigInput) : {};
  const config = configSchema.parse(fromFile);
  const dataDir = options.dataDir ?? env.PARLEY_DATA;
  if (dataDir) config.dataDir = dataDir;
  config.dataDir = resolve(config.dataDir);
  config.c2s.port = envPort(env.PARLEY_C2S_PORT) ?? config.c2s.port;
  config.c2s.tlsPort = envPort(env.PARLEY_C2S_TLS_PORT) ?? config.c2s.tlsPort;
  config.s2s.port = envPort(env.PARLEY_S2S_PORT) ?? config.s2s.port;
  config.s2s.tlsPort = envPort(env.PARLEY_S2S_TLS_PORT) ?? config.s2s.tlsPort;
  config.http.port = envPort(env.PARLEY_HTTP_PORT) ?? config.http.port;
  config.http.tlsPort = envPort(env.PARLEY_HTTPS_PORT) ?? config.http.tlsPort;
  if (env.PARLEY_ADMIN_TOKEN) config.admin.token = configSchema.shape.admin.parse({ token: env.PARLEY_ADMIN_TOKEN }).token;
  if (env.PARLEY_STORAGE_BACKEND || env.PARLEY_POSTGRES_URL) {
    config.storage = configSchema.shape.storage.parse({
      ...config.storage,
      backend: env.PARLEY_STORAGE_BACKEND || config.storage.backend,
      postgres: { ...config.storage.postgres, url: env.PARLEY_POSTGRES_URL || config.storage.postgres.url },
    });
  }
  if (env.PARLEY_LOG_LEVEL) config.log.level = configSchema.shape.log.parse({ level: env.PARLEY_LOG_LEVEL }).level;
  return config;
}

function envPort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return port.or(z.literal(-1)).parse(Number(value));
}
