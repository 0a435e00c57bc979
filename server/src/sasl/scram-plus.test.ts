// SCRAM-SHA-*-PLUS (RFC 5802 §6): the GS2 channel-binding flag against the mechanism and the
// connection, and the binding data in c=.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChannelBinding, ChannelBindingType } from './channel-binding.ts';
import { SaslError } from './errors.ts';
import type { MechanismContext, SaslStep } from './mechanism.ts';
import { scramSha1, scramSha1Plus, scramSha256, scramSha256Plus } from './scram.ts';
import { MemoryAccounts } from './test-accounts.ts';
import { TestScramClient } from './test-scram-client.ts';

function binding(data: Partial<Record<ChannelBindingType, Buffer>>): ChannelBinding {
  const types = Object.keys(data) as ChannelBindingType[];
  return { types, data: (type) => data[type] ?? null };
}

const exporter = randomBytes(32);
const endPoint = randomBytes(32);
const bound: MechanismContext = { channelBinding: binding({ 'tls-exporter': exporter, 'tls-server-end-point': endPoint }), plusOffered: true };

async function failure(promise: Promise<SaslStep>): Promise<SaslError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(SaslError);
  return error as SaslError;
}

describe('SCRAM-PLUS', async () => {
  const accounts = await new MemoryAccounts().add('juliet', 'r0meo');

  for (const [factory, hash] of [[scramSha256Plus, 'SHA-256'], [scramSha1Plus, 'SHA-1']] as const) {
    for (const [type, data] of [['tls-exporter', exporter], ['tls-server-end-point', endPoint]] as const) {
      it(`${factory.name} with ${type}: the bound exchange succeeds and the server proves itself`, async () => {
        const client = new TestScramClient({ hash, username: 'juliet', password: 'r0meo', flag: `p=${type}`, bindingData: data });
        const mechanism = factory.create(accounts, bound);
        const first = await mechanism.start(client.first());
        expect(first.kind).toBe('challenge');
        const done = await mechanism.step(client.final((first as { data: Buffer }).data));
        expect(done.kind).toBe('success');
        expect(client.verify((done as { data?: Buffer }).data)).toBe(true);
      });
    }
  }

  it('binding data of another connection (a relaying man in the middle) is refused', async () => {
    const client = new TestScramClient({ hash: 'SHA-256', username: 'juliet', password: 'r0meo', flag: 'p=tls-exporter', bindingData: randomBytes(32) });
    const mechanism = scramSha256Plus.create(accounts, bound);
    const first = await mechanism.start(client.first());
    const error = await failure(mechanism.step(client.final((first as { data: Buffer }).data)));
    expect(error.condition).toBe('not-authorized');
    expect(error.text).toBe('channel binding mismatch');
  });

  it('a type the connection does not have is refused', async () => {
    const client = new TestScramClient({ hash: 'SHA-256', username: 'juliet', password: 'r0meo', flag: 'p=tls-unique', bindingData: randomBytes(12) });
    const error = await failure(scramSha256Plus.create(accounts, bound).start(client.first()));
    expect(error.condition).toBe('malformed-request');
    expect(error.text).toMatch(/unsupported channel binding type tls-unique/);
  });

  it('a -PLUS mechanism without p= is refused', async () => {
    for (const flag of ['n', 'y']) {
      const client = new TestScramClient({ hash: 'SHA-256', username: 'juliet', password: 'r0meo', flag });
      const error = await failure(scramSha256Plus.create(accounts, bound).start(client.first()));
      expect(error.condition).toBe('malformed-request');
    }
  });

  it('p= with a mechanism without -PLUS is refused', async () => {
    const client = new TestScramClient({ hash: 'SHA-256', username: 'juliet', password: 'r0meo', flag: 'p=tls-exporter', bindingData: exporter });
    const error = await failure(scramSha256.create(accounts, bound).start(client.first()));
    expect(error.condition).toBe('malformed-request');
  });

  it("'y' when -PLUS was offered is a downgrade and fails (RFC 5802 §6)", async () => {
    const client = new TestScramClient({ hash: 'SHA-1', username: 'juliet', password: 'r0meo', flag: 'y' });
    const error = await failure(scramSha1.create(accounts, bound).start(client.first()));
    expect(error.condition).toBe('malformed-request');
    expect(error.text).toMatch(/downgrade/);
  });

  it("'y' where no -PLUS was offered (plaintext, WebSocket behind uWS) is fine", async () => {
    const client = new TestScramClient({ hash: 'SHA-1', username: 'juliet', password: 'r0meo', flag: 'y' });
    const mechanism = scramSha1.create(accounts, { channelBinding: null, plusOffered: false });
    const first = await mechanism.start(client.first());
    const done = await mechanism.step(client.final((first as { data: Buffer }).data));
    expect(done.kind).toBe('success');
  });

  it('the plain variants keep working without binding', async () => {
    const client = new TestScramClient({ hash: 'SHA-256', username: 'juliet', password: 'r0meo' });
    const mechanism = scramSha256.create(accounts, bound);
    const first = await mechanism.start(client.first());
    expect((await mechanism.step(client.final((first as { data: Buffer }).data))).kind).toBe('success');
  });
});
