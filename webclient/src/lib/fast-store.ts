// "Stay signed in": the FAST token (XEP-0484) the server gave, kept by the browser for the next
// visit. IndexedDB rather than localStorage because IndexedDB stores a WebCrypto key as it is:
// the token is imported as a non-extractable HMAC key (xmpp/sasl/fast.ts), so a script that ever
// runs in this page (an XSS) can use it while the page is open but cannot read it out and sign in
// from elsewhere later; localStorage holds only strings, the token itself. One record per account.
import type { FastCredential } from '../xmpp/sasl/fast.ts';
import { randomId } from '../xmpp/ids.ts';

const DATABASE = 'parley';
const STORE = 'fast-tokens';
const CLIENT_ID = 'parley.clientId';

export interface StoredToken extends FastCredential {
  /** The bare JID the token signs in. */
  jid: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'jid' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB unavailable'));
  });
}

async function run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const database = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = action(database.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    database.close();
  }
}

/** The token kept for `jid`, unless it has expired (then it is forgotten). */
export async function loadToken(jid: string): Promise<StoredToken | null> {
  try {
    const stored = await run('readonly', (store) => store.get(jid) as IDBRequest<StoredToken | undefined>);
    if (!stored?.key) return null;
    if (stored.expiry && Date.parse(stored.expiry) <= Date.now()) {
      await forgetToken(jid);
      return null;
    }
    return stored;
  } catch {
    return null; // private mode, storage disabled: sign in with the password
  }
}

export async function saveToken(token: StoredToken): Promise<void> {
  try {
    await run('readwrite', (store) => store.put(token));
  } catch {
    // not kept: the next visit asks for the password
  }
}

export async function forgetToken(jid: string): Promise<void> {
  try {
    await run('readwrite', (store) => store.delete(jid));
  } catch {
    // nothing stored
  }
}

/** This browser profile's SASL2 user-agent id (XEP-0388 §2.5.1), which FAST tokens are bound to. */
export function clientId(storage: Storage | null): string {
  let id = storage?.getItem(CLIENT_ID) ?? null;
  if (!id) {
    id = randomId(16);
    try {
      storage?.setItem(CLIENT_ID, id);
    } catch {
      // a new id per visit: tokens cannot be used again then, and are not asked for
    }
  }
  return id;
}
