// OAUTHBEARER (RFC 7628) message parsing and the mechanism's steps, without a network.
import { describe, expect, it } from 'vitest';
import { oauthBearer, parseOAuthBearer } from './oauthbearer.ts';
import { SaslError } from './errors.ts';

const message = (text: string) => Buffer.from(text, 'utf8');
const lookup = { getCredential: async () => null };

describe('parseOAuthBearer', () => {
  it('reads the GS2 header, the key/value pairs and the bearer token (RFC 7628 §3.1)', () => {
    const parsed = parseOAuthBearer(message('n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01'));
    expect(parsed.authzid).toBe('user@example.com');
    expect(parsed.token).toBe('vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==');
    expect(parsed.pairs.get('host')).toBe('server.example.com');
    expect(parseOAuthBearer(message('n,,\x01auth=bearer abc.def.ghi\x01\x01')).authzid).toBe('');
  });

  it('decodes =2C and =3D in the authzid (RFC 5801 §4)', () => {
    expect(parseOAuthBearer(message('n,a=we=2Cird=3Dname,\x01auth=Bearer t\x01\x01')).authzid).toBe('we,ird=name');
  });

  it.each([
    ['no kvsep at the end', 'n,,\x01auth=Bearer t\x01'],
    ['channel binding asked for', 'p=tls-unique,,\x01auth=Bearer t\x01\x01'],
    ['no auth pair', 'n,,\x01host=x\x01\x01'],
    ['another scheme', 'n,,\x01auth=Basic dXNlcjpwYXNz\x01\x01'],
    ['a bad key', 'n,,\x01a-b=c\x01auth=Bearer t\x01\x01'],
    ['a bad GS2 header', 'x,,\x01auth=Bearer t\x01\x01'],
  ])('refuses %s with malformed-request', (_what, text) => {
    expect(() => parseOAuthBearer(message(text))).toThrow(expect.objectContaining({ condition: 'malformed-request' }));
  });
});

describe('the OAUTHBEARER mechanism', () => {
  it('succeeds with the identity the token check gives, and the authzid', async () => {
    const mechanism = oauthBearer(async (token) => (token === 'good' ? 'alice@example.com' : 'x')).create(lookup);
    expect(await mechanism.start(message('n,a=alice@example.com,\x01auth=Bearer good\x01\x01')))
      .toEqual({ kind: 'success', username: 'alice@example.com', authzid: 'alice@example.com' });
  });

  it('sends the RFC 7628 §3.2.2 error challenge for a refused token, then fails with its reason', async () => {
    const mechanism = oauthBearer(async () => { throw new SaslError('not-authorized', 'the token has expired'); }).create(lookup);
    const challenge = await mechanism.start(message('n,,\x01auth=Bearer old\x01\x01'));
    expect(challenge.kind).toBe('challenge');
    expect(JSON.parse((challenge as { data: Buffer }).data.toString())).toEqual({ status: 'invalid_token', schemes: 'bearer' });
    await expect(mechanism.step(message('\x01'))).rejects.toMatchObject({ condition: 'not-authorized', text: 'the token has expired' });
  });

  it('asks for the initial response with an empty challenge, and passes temporary failures through', async () => {
    const mechanism = oauthBearer(async () => { throw new SaslError('temporary-auth-failure'); }).create(lookup);
    expect(await mechanism.start(Buffer.alloc(0))).toEqual({ kind: 'challenge', data: Buffer.alloc(0) });
    await expect(mechanism.step(message('n,,\x01auth=Bearer t\x01\x01'))).rejects.toMatchObject({ condition: 'temporary-auth-failure' });
  });
});
