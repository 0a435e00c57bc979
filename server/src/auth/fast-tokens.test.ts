// FAST tokens (XEP-0484) on the SQLite store: issue, verify, rotation across the two slots (§5.1),
// invalidation by the client (§3.6), expiry (§4.2), the admin's revocation, and the password.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorage, type Storage } from '../storage/index.ts';
import { deriveAllCredentials } from '../sasl/credentials.ts';
import { SaslError } from '../sasl/errors.ts';
import { FastTokens, hashedToken, type TokenProof } from './fast-tokens.ts';

let dir: string;
let storage: Storage;
let now: number;
const HOUR = 3600;
const JULIET = 'juliet@example.com';
const PHONE = '5f1b-phone';

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-fast-'));
  storage = openSqliteStorage(dir);
  await storage.accounts.create(JULIET, await deriveAllCredentials('r0meo'));
  now = Date.parse('2025-01-01T00:00:00Z');
});

afterEach(async () => {
  await storage.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function tokens(rotateAfterSeconds = 24 * HOUR, lifetimeSeconds = 21 * 24 * HOUR): FastTokens {
  return new FastTokens(storage.fastTokens, { lifetimeSeconds, rotateAfterSeconds }, () => now);
}

function proof(token: string, overrides: Partial<TokenProof> = {}): TokenProof {
  return {
    jid: JULIET, clientId: PHONE, mechanism: 'HT-SHA-256-NONE', initiatorHash: hashedToken(token, 'Initiator'),
    channelBindingData: Buffer.alloc(0), invalidate: false, ...overrides,
  };
}

async function refused(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(SaslError);
  return (error as SaslError).condition;
}

describe('FAST tokens', () => {
  it('a token verifies, and the server answers with the responder hash (mutual authentication)', async () => {
    const fast = tokens();
    const issued = await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', 'Gajim on laptop');
    expect(issued.expiry.getTime()).toBe(now + 21 * 24 * HOUR * 1000);
    const verified = await fast.verify(proof(issued.token));
    expect(verified.responderHash).toEqual(hashedToken(issued.token, 'Responder'));
    expect(verified.rotate).toBe(false);
  });

  it('the store keeps the SHA-256 of the token, never the token', async () => {
    const { token } = await tokens().issue(JULIET, PHONE, 'HT-SHA-256-NONE', null);
    expect(Buffer.byteLength(token)).toBeGreaterThan(64);
    const [record] = await storage.fastTokens.forClient(JULIET, PHONE);
    expect(record!.keyHash).toBe(createHash('sha256').update(token).digest('base64'));
    await storage.close();
    const bytes = Buffer.concat(fs.readdirSync(dir).filter((name) => name.startsWith('parley.db')).map((name) => fs.readFileSync(path.join(dir, name))));
    expect(bytes.includes(token)).toBe(false);
    storage = openSqliteStorage(dir);
  });

  it('a token is bound to its mechanism, its client and its channel binding', async () => {
    const fast = tokens();
    const { token } = await fast.issue(JULIET, PHONE, 'HT-SHA-256-EXPR', null);
    const binding = Buffer.alloc(32, 7);
    expect(await refused(fast.verify(proof(token)))).toBe('not-authorized');
    expect(await refused(fast.verify(proof(token, { mechanism: 'HT-SHA-256-EXPR', clientId: 'another' })))).toBe('not-authorized');
    expect(await refused(fast.verify(proof(token, { mechanism: 'HT-SHA-256-EXPR', channelBindingData: binding })))).toBe('not-authorized');
    const ok = await fast.verify(proof(token, {
      mechanism: 'HT-SHA-256-EXPR', channelBindingData: binding, initiatorHash: hashedToken(token, 'Initiator', binding),
    }));
    expect(ok.responderHash).toEqual(hashedToken(token, 'Responder', binding));
  });

  it('rotation: the old token works until the new one is used, then only the new one does (§3.5)', async () => {
    const fast = tokens(HOUR);
    const first = await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', null);
    await fast.verify(proof(first.token));
    now += 2 * HOUR * 1000;
    expect((await fast.verify(proof(first.token))).rotate).toBe(true);
    const second = await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', null);
    // the client never got the second one (connection lost): the first still works
    expect((await fast.verify(proof(first.token))).rotate).toBe(true);
    await fast.verify(proof(second.token));
    expect(await refused(fast.verify(proof(first.token)))).toBe('not-authorized');
    expect((await fast.verify(proof(second.token))).rotate).toBe(false);
  });

  it('a newer token replaces one never used (§3.5 SHOULD)', async () => {
    const fast = tokens();
    const unused = await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', null);
    const next = await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', null);
    expect(await refused(fast.verify(proof(unused.token)))).toBe('not-authorized');
    await fast.verify(proof(next.token));
  });

  it('an expired token fails with credentials-expired and is removed (§4.2)', async () => {
    const fast = tokens(24 * HOUR, HOUR);
    const { token } = await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', null);
    now += HOUR * 1000;
    expect(await refused(fast.verify(proof(token)))).toBe('credentials-expired');
    expect(await storage.fastTokens.forClient(JULIET, PHONE)).toEqual([]);
  });

  it('signing out with the token invalidates it (§3.6)', async () => {
    const fast = tokens();
    const { token } = await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', null);
    expect((await fast.verify(proof(token, { invalidate: true }))).rotate).toBe(false);
    expect(await refused(fast.verify(proof(token)))).toBe('not-authorized');
  });

  it('the admin lists and revokes one client or all', async () => {
    const fast = tokens();
    const phone = await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', 'Conversations on phone');
    const laptop = await fast.issue(JULIET, 'laptop', 'HT-SHA-256-NONE', null);
    const listed = await fast.list(JULIET);
    expect(listed.map((info) => [info.clientId, info.userAgent, info.slot])).toEqual([
      ['5f1b-phone', 'Conversations on phone', 'new'], ['laptop', null, 'new'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(phone.token);
    expect(await fast.revoke(JULIET, PHONE)).toBe(1);
    expect(await refused(fast.verify(proof(phone.token)))).toBe('not-authorized');
    await fast.verify(proof(laptop.token, { clientId: 'laptop' }));
    expect(await fast.revoke(JULIET)).toBe(1);
    expect(await refused(fast.verify(proof(laptop.token, { clientId: 'laptop' })))).toBe('not-authorized');
  });

  it('a new password ends every token of the account; so does deleting it', async () => {
    const fast = tokens();
    const { token } = await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', null);
    await storage.accounts.setCredentials(JULIET, await deriveAllCredentials('n3w password'));
    expect(await refused(fast.verify(proof(token)))).toBe('not-authorized');
    await fast.issue(JULIET, PHONE, 'HT-SHA-256-NONE', null);
    await storage.accounts.delete(JULIET);
    expect(await storage.fastTokens.forAccount(JULIET)).toEqual([]);
  });
});
