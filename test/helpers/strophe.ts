// strophe.js (BOSH) in Node: its Node build brings the DOM globals (@xmldom/xmldom) but no
// XMLHttpRequest, and a shim without responseXML makes it hang at login (client-quirks.md). This
// file gives it a small XMLHttpRequest over node:http whose responseXML is parsed with xmldom,
// a memory sessionStorage (for keepalive/restore), and a promise-shaped login.
import http from 'node:http';
import { DOMParser } from '@xmldom/xmldom';
import { Strophe } from 'strophe.js';
import { deriveScramCredential } from '../../server/src/sasl/credentials.ts';
import { createUsers, passwordOf } from './im.ts';
import type { TestServer } from './server.ts';

/** BOSH keeps two requests open per client (one held, one sending): keep-alive sockets carry them. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

class NodeXMLHttpRequest {
  readyState = 0;
  status = 0;
  responseText = '';
  responseXML: Document | null = null;
  withCredentials = false;
  onreadystatechange: (() => void) | null = null;
  private method = 'GET';
  private url = '';
  private readonly headers: Record<string, string> = {};
  private responseHeaders: Record<string, string | string[] | undefined> = {};
  private request: http.ClientRequest | null = null;
  private aborted = false;

  overrideMimeType(): void {}

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
    this.change(1);
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  getAllResponseHeaders(): string {
    return Object.entries(this.responseHeaders).map(([name, value]) => `${name}: ${String(value)}`).join('\r\n');
  }

  getResponseHeader(name: string): string | null {
    const value = this.responseHeaders[name.toLowerCase()];
    return value === undefined ? null : String(value);
  }

  send(body?: string): void {
    const data = body ?? '';
    this.request = http.request(this.url, {
      method: this.method, agent, headers: { ...this.headers, 'Content-Length': Buffer.byteLength(data) },
    }, (response) => {
      this.status = response.statusCode ?? 0;
      this.responseHeaders = response.headers;
      this.change(2);
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        if (this.aborted) return;
        this.responseText = Buffer.concat(chunks).toString('utf8');
        this.responseXML = parseXml(this.responseText);
        this.change(4);
      });
    });
    this.request.on('error', () => {
      if (this.aborted) return;
      this.status = 0;
      this.change(4);
    });
    this.request.end(data);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.request?.destroy();
    if (this.readyState > 0 && this.readyState < 4) {
      this.status = 0;
      this.change(4);
    }
  }

  private change(state: number): void {
    this.readyState = state;
    this.onreadystatechange?.();
  }
}

function parseXml(text: string): Document | null {
  if (text === '') return null;
  try {
    return new DOMParser().parseFromString(text, 'text/xml') as unknown as Document;
  } catch {
    return null;
  }
}

class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  clear(): void {
    this.items.clear();
  }
}

const globals = globalThis as Record<string, unknown>;
globals.XMLHttpRequest ??= NodeXMLHttpRequest;
globals.sessionStorage ??= new MemoryStorage();

// Strophe logs every request at debug level otherwise
Strophe.setLogLevel(Strophe.LogLevel.ERROR);

/**
 * Fresh accounts for Strophe: it refuses SCRAM iteration counts under 4096, so these get the
 * server's default verifiers (createUsers uses fewer iterations to speed up @xmpp/client).
 */
export async function stropheUsers(server: TestServer, names: string[]): Promise<string[]> {
  const jids = await createUsers(server, names);
  for (const jid of jids) {
    const password = passwordOf(jid);
    await server.server.storage.accounts.delete(jid);
    await server.server.storage.accounts.create(jid, await Promise.all([
      deriveScramCredential(password, 'SHA-1'), deriveScramCredential(password, 'SHA-256'),
    ]));
  }
  return jids;
}

export type StropheConnection = InstanceType<typeof Strophe.Connection>;
export { Strophe };

const statusNames = Object.fromEntries(Object.entries(Strophe.Status).map(([name, value]) => [value, name]));

/** Connect, authenticate (SASL) and bind over BOSH; resolves once CONNECTED. */
export function stropheLogin(server: TestServer, jid: string, password: string,
  options: { wait?: number; keepalive?: boolean } = {}): Promise<StropheConnection> {
  const connection = new Strophe.Connection(`http://127.0.0.1:${server.ports.http}/http-bind`, { keepalive: options.keepalive ?? false });
  return new Promise((resolve, reject) => {
    connection.connect(jid, password, (status: number, condition?: string | null) => {
      if (status === Strophe.Status.CONNECTED) resolve(connection);
      else if (status === Strophe.Status.CONNFAIL || status === Strophe.Status.AUTHFAIL || status === Strophe.Status.DISCONNECTED) {
        reject(new Error(`strophe: ${statusNames[status]} ${condition ?? ''}`));
      }
    }, options.wait ?? 10);
  });
}

/** Resolves with the next stanza the handler matches (namespace/name/type as Strophe.addHandler takes them). */
export function nextStanza(connection: StropheConnection, name: string, type?: string, timeoutMs = 5000): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.deleteHandler(handler);
      reject(new Error(`strophe: no <${name}/> within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = connection.addHandler((stanza: Element) => {
      clearTimeout(timer);
      resolve(stanza);
      return false;
    }, null, name, type);
  });
}

/** Disconnect cleanly (type='terminate'), resolving once Strophe reports DISCONNECTED. */
export function stropheLogout(connection: StropheConnection): Promise<void> {
  return new Promise((resolve) => {
    if (!connection.connected) return resolve();
    const previous = connection.connect_callback;
    connection.connect_callback = (status: number, condition?: string | null) => {
      previous?.(status, condition);
      if (status === Strophe.Status.DISCONNECTED) resolve();
    };
    connection.disconnect('test over');
    setTimeout(resolve, 3000).unref();
  });
}
