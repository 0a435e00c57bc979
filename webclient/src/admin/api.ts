// The admin console's client of the admin API (/admin/api/, server/src/admin/): JSON with a bearer
// credential — the admin token, an admin JWT from the suite, or a console session from signing in
// with an admin account's password (SASL PLAIN, RFC 4616, run by the server).
export const API = '/admin/api';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface SignInOptions { token: boolean; jwt: boolean; password: boolean }

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, text || response.statusText);
  }
  if (!response.ok) {
    const error = body as { error?: string; issues?: string[] } | null;
    throw new ApiError(response.status, [error?.error ?? response.statusText, ...(error?.issues ?? [])].join(': '));
  }
  return body as T;
}

export async function signInOptions(): Promise<SignInOptions> {
  return answer<SignInOptions>(await fetch(`${API}/sign-in`));
}

/** The PLAIN message (RFC 4616 §2: NUL authcid NUL passwd), UTF-8, base64. */
function plainMessage(jid: string, password: string): string {
  const bytes = new TextEncoder().encode(`\0${jid}\0${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export async function passwordSignIn(jid: string, password: string): Promise<{ token: string; jid: string; expiresAt: string }> {
  return answer(await fetch(`${API}/sign-in`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mechanism: 'PLAIN', response: plainMessage(jid, password) }),
  }));
}

export class AdminApi {
  constructor(private readonly credential: string, private readonly onUnauthorized: () => void) {}

  /** `path`: segments joined by '/', each URL-encoded. */
  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', segments: string[], body?: unknown): Promise<T> {
    const response = await fetch(`${API}/${segments.map(encodeURIComponent).join('/')}`, {
      method,
      headers: { authorization: `Bearer ${this.credential}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) this.onUnauthorized();
    return answer<T>(response);
  }

  get<T>(...segments: string[]): Promise<T> {
    return this.call<T>('GET', segments);
  }
}

// ---- what the API answers (server/src/directory/types.ts, server/src/admin/*.ts) ----

export interface Domain {
  name: string;
  aliases: string[];
  im: { enabled: boolean; access: 'everyone' | 'restricted'; allowedUsers: string[]; allowedGroups: string[] };
  federation: { enabled: boolean; certificates: 'default' | 'allow-dialback' | 'require-valid'; allow: string[]; deny: string[] };
}

export interface User { jid: string; displayName: string | null; emails: string[]; enabled: boolean; groups: string[]; roles: string[] }
export interface Group { name: string; description: string | null; members: string[]; roles: string[] }

export interface Session {
  resource: string; jid: string; node: string; available: boolean; priority: number; show: string; status: string;
  hibernatedUntil: string | null; transport: string | null;
}

export interface Certificate {
  name: string; subject: string; issuer: string; names: string[]; validFrom: string; validTo: string; daysLeft: number;
  fingerprint256: string; selfSigned: boolean; chainLength: number; state: 'ok' | 'expiring' | 'problem'; problems: string[];
}

export interface DnsStatus {
  domain: string; servers: string[]; zone: string[]; ok: boolean; checkedAt: string;
  records: Array<{ service: string; name: string; port: number; answers: string[]; lookupError: string | null; problems: string[]; notes: string[] }>;
}

/** An external component (XEP-0114): server/src/admin/components.ts, components/external.ts. */
export interface ComponentEntry {
  domain: string;
  source: 'configuration' | 'stored';
  /** Where it is connected (any node); the stanza counts only for this node's connections. */
  connection: { node: string; connectedSince: string; address: string; stanzasIn: number | null; stanzasOut: number | null } | null;
}

export interface AddedComponent { domain: string; secret: string; generated: boolean }

export interface ReindexJob {
  state: 'running' | 'done' | 'failed' | 'interrupted' | 'never';
  node?: string; index?: string; done?: number; total?: number; failed?: number; error?: string | null; startedAt?: string; updatedAt?: string;
}

export interface ArchiveStatus {
  enabled: boolean; backend: 'sqlite' | 'elasticsearch' | 'off'; entries: number | null; queued: number | null;
  elasticsearch: { nodes: string[]; index: string }; reindex: ReindexJob | null;
}

export interface Figures {
  at: string;
  sessions: { active: number; detached: number; byTransport: Record<string, number> };
  streams: Record<string, number>;
  stanzas: { received: Record<string, number>; delivered: Record<string, number> };
  signIns: { success: number; failure: number; throttled: number };
  routing: { count: number; meanMs: number | null };
  eventLoopLagSeconds: number | null;
  residentMemoryBytes: number | null;
  uptimeSeconds: number;
  s2s: { ready: { outgoing: number; incoming: number }; connecting: number; domainPairs: number; queued: number } | null;
  muc: { rooms: number; occupants: number } | null;
}
