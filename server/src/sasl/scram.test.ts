import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveScramCredential, type ScramHash } from './credentials.ts';
import { SaslError } from './errors.ts';
import type { SaslMechanism, SaslStep } from './mechanism.ts';
import { createScram, scramSha1, scramSha256 } from './scram.ts';
import { MemoryAccounts } from './test-accounts.ts';

const b = (s: string) => Buffer.from(s, 'utf8');

function challengeText(step: SaslStep): string {
  expect(step.kind).toBe('challenge');
  return step.kind === 'challenge' ? step.data.toString('utf8') : '';
}

async function expectFailure(p: Promise<unknown>, condition: string): Promise<SaslError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SaslError);
  expect((err as SaslError).condition).toBe(condition);
  return err as SaslError;
}

/** A tiny SCRAM client (RFC 5802 §3), independent of the server's helpers. */
class TinyClient {
  readonly nonce = randomBytes(12).toString('base64');
  private bare = '';
  private expectedSignature = '';
  constructor(
    private readonly hash: ScramHash,
    private readonly user: string,
    private readonly password: string,
    private readonly gs2Header = 'n,,',
  ) {}

  first(): Buffer {
    const name = this.user.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.bare = `n=${name},r=${this.nonce}`;
    return b(this.gs2Header + this.bare);
  }

  final(serverFirst: string): Buffer {
    const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
    const alg = this.hash === 'SHA-1' ? 'sha1' : 'sha256';
    const salted = pbkdf2Sync(this.password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), alg === 'sha1' ? 20 : 32, alg);
    const clientKey = createHmac(alg, salted).update('Client Key').digest();
    const storedKey = createHash(alg).update(clientKey).digest();
    const withoutProof = `c=${Buffer.from(this.gs2Header).toString('base64')},r=${attrs.r}`;
    const authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const signature = createHmac(alg, storedKey).update(authMessage).digest();
    const proof = clientKey.map((byte, i) => byte ^ signature[i]!);
    const serverKey = createHmac(alg, salted).update('Server Key').digest();
    this.expectedSignature = createHmac(alg, serverKey).update(authMessage).digest('base64');
    return b(`${withoutProof},p=${Buffer.from(proof).toString('base64')}`);
  }

  verifyServerFinal(data: Buffer | undefined): boolean {
    return data?.toString('utf8') === `v=${this.expectedSignature}`;
  }
}

describe('SCRAM test vectors', () => {
  it('RFC 5802 §5 (SCRAM-SHA-1)', async () => {
    const accounts = new MemoryAccounts().set(
      'user',
      await deriveScramCredential('pencil', 'SHA-1', { salt: Buffer.from('QSXCR+Q6sek8bf92', 'base64'), iterations: 4096 }),
    );
    const mech = createScram('SHA-1', accounts, { nonce: () => '3rfcNHYJY1ZVvWVs7j' });
    expect(mech.name).toBe('SCRAM-SHA-1');
    const first = await mech.start(b('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'));
    expect(challengeText(first)).toBe('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    const done = await mech.step(b('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='));
    expect(done).toEqual({ kind: 'success', username: 'user', data: b('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=') });
  });

  it('RFC 7677 §3 (SCRAM-SHA-256)', async () => {
    const accounts = new MemoryAccounts().set(
      'user',
      await deriveScramCredential('pencil', 'SHA-256', {
        salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
        iterations: 4096,
      }),
    );
    const mech = createScram('SHA-256', accounts, { nonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    expect(mech.name).toBe('SCRAM-SHA-256');
    const first = await mech.start(b('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(challengeText(first)).toBe(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    const done = await mech.step(
      b('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    expect(done).toEqual({ kind: 'success', username: 'user', data: b('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=') });
  });
});

describe.each(['SHA-1', 'SHA-256'] as const)('SCRAM-%s exchange', (hash) => {
  const factory = hash === 'SHA-1' ? scramSha1 : scramSha256;

  async function run(mech: SaslMechanism, client: TinyClient, initial = true): Promise<SaslStep> {
    let serverFirst: SaslStep;
    if (initial) {
      serverFirst = await mech.start(client.first());
    } else {
      expect(challengeText(await mech.start(Buffer.alloc(0)))).toBe('');
      serverFirst = await mech.step(client.first());
    }
    return mech.step(client.final(challengeText(serverFirst)));
  }

  it('authenticates with a random server nonce and mutual authentication', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'correct horse');
    const mech = factory.create(accounts);
    expect(factory.name).toBe(`SCRAM-${hash}`);
    expect(factory.requiresEncryption).toBe(false);
    const client = new TinyClient(hash, 'alice', 'correct horse');
    const serverFirst = challengeText(await mech.start(client.first()));
    const nonce = serverFirst.split(',')[0]!.slice(2);
    expect(nonce.startsWith(client.nonce)).toBe(true);
    expect(nonce.length - client.nonce.length).toBeGreaterThanOrEqual(24); // ≥ 18 random bytes, base64
    const done = await mech.step(client.final(serverFirst));
    expect(done.kind).toBe('success');
    expect(done.kind === 'success' && done.username).toBe('alice');
    expect(done.kind === 'success' && client.verifyServerFinal(done.data)).toBe(true);
    expect(accounts.lookups).toEqual([['alice', hash]]);
  });

  it('asks for the client-first message with an empty challenge when there is no initial response', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'pw');
    const done = await run(factory.create(accounts), new TinyClient(hash, 'alice', 'pw'), false);
    expect(done.kind).toBe('success');
  });

  it('saslpreps and lower-cases the username and decodes =2C / =3D', async () => {
    const accounts = await new MemoryAccounts().add('a,b=c', 'pw');
    const done = await run(factory.create(accounts), new TinyClient(hash, 'A,B=C', 'pw'));
    expect(done.kind === 'success' && done.username).toBe('a,b=c');
  });

  it('saslpreps the password (RFC 4013 mapping and NFKC)', async () => {
    // Stored from an unprepared form; the verifier is of the prepared string 'IX',
    // which is what a conforming client hashes (RFC 5802 §5.1).
    const accounts = await new MemoryAccounts().add('alice', '\u2168');
    const done = await run(factory.create(accounts), new TinyClient(hash, 'alice', 'IX'));
    expect(done.kind).toBe('success');
  });

  it("returns the authzid and accepts the 'y' flag", async () => {
    const accounts = await new MemoryAccounts().add('alice', 'pw');
    const client = new TinyClient(hash, 'alice', 'pw', 'y,a=admin=2Cx@example.com,');
    const done = await run(factory.create(accounts), client);
    expect(done).toMatchObject({ kind: 'success', username: 'alice', authzid: 'admin,x@example.com' });
  });

  it('rejects a wrong password with not-authorized', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'pw');
    await expectFailure(run(factory.create(accounts), new TinyClient(hash, 'alice', 'wrong')), 'not-authorized');
  });

  it('does not reveal an unknown user before the final failure', async () => {
    const accounts = await new MemoryAccounts().add('alice', 'pw');
    const probe = async (user: string) => {
      const mech = factory.create(accounts);
      const client = new TinyClient(hash, user, 'guess');
      const serverFirst = challengeText(await mech.start(client.first()));
      const attrs = serverFirst.split(',').map((a) => a.slice(0, 2));
      const salt = serverFirst.split(',')[1]!.slice(2);
      const iterations = serverFirst.split(',')[2];
      const err = await expectFailure(mech.step(client.final(serverFirst)), 'not-authorized');
      return { attrs, saltBytes: Buffer.from(salt, 'base64').length, salt, iterations, text: err.text };
    };
    const known = await probe('alice');
    const unknown = await probe('mallory');
    const again = await probe('mallory');
    expect(unknown.attrs).toEqual(known.attrs);
    expect(unknown.saltBytes).toBe(known.saltBytes);
    expect(unknown.iterations).toBe(known.iterations);
    expect(unknown.text).toBe(known.text);
    expect(again.salt).toBe(unknown.salt); // deterministic decoy salt
    expect((await probe('trudy')).salt).not.toBe(unknown.salt);
  });

  it('maps lookup errors to temporary-auth-failure', async () => {
    const mech = factory.create({ getCredential: () => Promise.reject(new Error('db down')) });
    await expectFailure(mech.start(b('n,,n=alice,r=abc')), 'temporary-auth-failure');
  });

  it('passes a SaslError thrown (even synchronously) by the lookup through unchanged', async () => {
    const mech = factory.create({
      getCredential: () => {
        throw new SaslError('not-authorized', 'throttled');
      },
    });
    const err = await expectFailure(mech.start(b('n,,n=alice,r=abc')), 'not-authorized');
    expect(err.text).toBe('throttled');
  });
});

describe('SCRAM malformed messages', () => {
  async function fresh() {
    const accounts = await new MemoryAccounts().add('user', 'pencil', ['SHA-256']);
    return createScram('SHA-256', accounts, { nonce: () => 'SERVERNONCE' });
  }

  it.each([
    ['missing n=', 'n,,r=abc'],
    ['missing r=', 'n,,n=user'],
    ['empty nonce', 'n,,n=user,r='],
    ['empty username', 'n,,n=,r=abc'],
    ['bad saslname escape', 'n,,n=us=41er,r=abc'],
    ['no gs2 header', 'n=user,r=abc'],
    ['unknown cbind flag', 'x,,n=user,r=abc'],
    ['gs2 header missing authzid separator', 'n,n=user,r=abc'],
    ['empty authzid', 'n,a=,n=user,r=abc'],
    ['channel binding requested', 'p=tls-unique,,n=user,r=abc'],
    ['mandatory extension', 'n,,m=ext,n=user,r=abc'],
    ['bad extension syntax', 'n,,n=user,r=abc,garbage'],
    ['nonce with non-printable', 'n,,n=user,r=ab c'],
    ['prohibited username character', 'n,,n=us\u0007er,r=abc'],
  ])('client-first: %s', async (_label, message) => {
    await expectFailure((await fresh()).start(b(message)), 'malformed-request');
  });

  it('client-first: invalid UTF-8', async () => {
    await expectFailure((await fresh()).start(Buffer.from([0x6e, 0x2c, 0x2c, 0x6e, 0x3d, 0xff, 0x2c, 0x72, 0x3d, 0x61])), 'malformed-request');
  });

  it('ignores optional extensions in client-first', async () => {
    const step = await (await fresh()).start(b('n,,n=user,r=abc,x=whatever'));
    expect(challengeText(step)).toMatch(/^r=abcSERVERNONCE,s=/);
  });

  const proof = Buffer.alloc(32).toString('base64');
  it.each([
    ['nonce mismatch', `c=biws,r=abcOTHER,p=${proof}`],
    ['client nonce only', `c=biws,r=abc,p=${proof}`],
    ['c= not the gs2 header', `c=eSws,r=abcSERVERNONCE,p=${proof}`],
    ['c= bad base64', `c=biws!,r=abcSERVERNONCE,p=${proof}`],
    ['missing c=', `r=abcSERVERNONCE,p=${proof}`],
    ['missing p=', 'c=biws,r=abcSERVERNONCE'],
    ['proof not last', `c=biws,p=${proof},r=abcSERVERNONCE`],
    ['proof bad base64', 'c=biws,r=abcSERVERNONCE,p=***'],
    ['proof wrong length', `c=biws,r=abcSERVERNONCE,p=${Buffer.alloc(20).toString('base64')}`],
  ])('client-final: %s', async (_label, message) => {
    const mech = await fresh();
    await mech.start(b('n,,n=user,r=abc'));
    await expectFailure(mech.step(b(message)), 'malformed-request');
    // The exchange is over after a failure.
    await expectFailure(mech.step(b(message)), 'malformed-request');
  });

  it('rejects steps out of order', async () => {
    const mech = await fresh();
    await expectFailure(mech.step(b('n,,n=user,r=abc')), 'malformed-request');
    const again = await fresh();
    await again.start(b('n,,n=user,r=abc'));
    await expectFailure(again.start(b('n,,n=user,r=abc')), 'malformed-request');
  });
});
