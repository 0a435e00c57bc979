import { describe, expect, it } from 'vitest';
import { SaslError } from './errors.ts';
import { createPlain, parsePlainMessage, plain } from './plain.ts';
import { MemoryAccounts } from './test-accounts.ts';

const msg = (authzid: string, authcid: string, passwd: string) => Buffer.from(`${authzid}\0${authcid}\0${passwd}`, 'utf8');

async function failure(p: Promise<unknown>): Promise<SaslError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SaslError);
  return err as SaslError;
}

describe('PLAIN (RFC 4616)', () => {
  it('is registered as requiring encryption', () => {
    expect(plain.name).toBe('PLAIN');
    expect(plain.requiresEncryption).toBe(true);
  });

  it('authenticates against the SHA-256 credential', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'pw');
    const step = await createPlain(accounts).start(msg('', 'Alice', 'pw'));
    expect(step).toEqual({ kind: 'success', username: 'alice' });
    expect(accounts.lookups).toEqual([['alice', 'SHA-256']]);
  });

  it('falls back to the SHA-1 credential', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'pw', ['SHA-1']);
    expect(await createPlain(accounts).start(msg('', 'alice', 'pw'))).toMatchObject({ kind: 'success' });
    expect(accounts.lookups).toEqual([
      ['alice', 'SHA-256'],
      ['alice', 'SHA-1'],
    ]);
  });

  it('returns a non-empty authzid', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'pw');
    const step = await createPlain(accounts).start(msg('admin@example.com', 'alice', 'pw'));
    expect(step).toEqual({ kind: 'success', username: 'alice', authzid: 'admin@example.com' });
  });

  it('sends an empty challenge when there is no initial response', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'pw');
    const mech = createPlain(accounts);
    expect(await mech.start(Buffer.alloc(0))).toEqual({ kind: 'challenge', data: Buffer.alloc(0) });
    expect(await mech.step(msg('', 'alice', 'pw'))).toMatchObject({ kind: 'success', username: 'alice' });
    expect((await failure(mech.step(msg('', 'alice', 'pw')))).condition).toBe('malformed-request');
  });

  it('saslpreps the password', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'IX');
    expect(await createPlain(accounts).start(msg('', 'alice', '\u2168'))).toMatchObject({ kind: 'success' });
    expect(await createPlain(accounts).start(msg('', 'alice', 'I\u00ADX'))).toMatchObject({ kind: 'success' });
  });

  it('rejects a wrong password and an unknown user identically', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'pw');
    const wrong = await failure(createPlain(accounts).start(msg('', 'alice', 'nope')));
    const unknown = await failure(createPlain(accounts).start(msg('', 'mallory', 'pw')));
    expect(wrong.condition).toBe('not-authorized');
    expect(unknown.condition).toBe('not-authorized');
    expect(unknown.message).toBe(wrong.message);
  });

  it.each([
    ['no NUL', Buffer.from('alicepw')],
    ['one NUL', Buffer.from('alice\0pw')],
    ['three NULs', Buffer.from('\0alice\0pw\0')],
    ['empty authcid', msg('', '', 'pw')],
    ['empty passwd', msg('', 'alice', '')],
    ['passwd empty after SASLprep', msg('', 'alice', '\u00AD')],
    ['prohibited character', msg('', 'alice', 'p\u0007w')],
    ['invalid UTF-8', Buffer.from([0, 0x61, 0, 0xff])],
    ['field too long', msg('', 'alice', 'x'.repeat(256))],
  ])('rejects a malformed message: %s', async (_label, message) => {
    const accounts = await new MemoryAccounts().add('alice', 'pw');
    expect((await failure(createPlain(accounts).start(message))).condition).toBe('malformed-request');
  });

  it('maps lookup errors to temporary-auth-failure', async () => {
    const mech = createPlain({ getCredential: () => Promise.reject(new Error('db down')) });
    expect((await failure(mech.start(msg('', 'alice', 'pw')))).condition).toBe('temporary-auth-failure');
  });

  it('passes a SaslError thrown (even synchronously) by the lookup through unchanged', async () => {
    const mech = createPlain({
      getCredential: () => {
        throw new SaslError('not-authorized', 'throttled');
      },
    });
    const err = await failure(mech.start(msg('', 'alice', 'pw')));
    expect(err.condition).toBe('not-authorized');
    expect(err.text).toBe('throttled');
  });

  it('parsePlainMessage splits the three fields', () => {
    expect(parsePlainMessage(msg('z', 'c', 'p'))).toEqual({ authzid: 'z', authcid: 'c', passwd: 'p' });
  });
});
