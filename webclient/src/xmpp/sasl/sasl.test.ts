// OAUTHBEARER framing, mechanism choice, payload encoding (SCRAM: @parley/shared/sasl/scram.test.ts).
import { describe, expect, it } from 'vitest';
import { oauthBearerMechanism } from './oauthbearer.ts';
import { chooseMechanism } from './index.ts';
import { decodePayload, encodePayload } from '@parley/shared/sasl/encoding';
import { AuthenticationError } from '../errors.ts';

const account = { local: 'user', bare: 'user@example.com' };

describe('OAUTHBEARER', () => {
  it('sends the RFC 7628 §3.1 initial response', async () => {
    const mechanism = oauthBearerMechanism('user@example.com', 'tok.en');
    expect(await mechanism.initial()).toBe('n,a=user@example.com,\u0001auth=Bearer tok.en\u0001\u0001');
    expect(await mechanism.challenge('{"status":"invalid_token"}')).toBe('\u0001');
  });
});

describe('mechanism choice', () => {
  it('prefers SCRAM-SHA-256, and never sends PLAIN in the clear', () => {
    expect(chooseMechanism(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'], { password: 'p' }, account, false).name).toBe('SCRAM-SHA-256');
    expect(chooseMechanism(['PLAIN'], { password: 'p' }, account, true).name).toBe('PLAIN');
    expect(() => chooseMechanism(['PLAIN'], { password: 'p' }, account, false)).toThrow(AuthenticationError);
  });

  it('uses OAUTHBEARER for a token, with a clear error when the server lacks it', () => {
    expect(chooseMechanism(['SCRAM-SHA-1', 'OAUTHBEARER'], { token: 't' }, account, false).name).toBe('OAUTHBEARER');
    expect(() => chooseMechanism(['SCRAM-SHA-1'], { token: 't' }, account, true)).toThrow(/does not accept sign-in tokens/);
    expect(() => chooseMechanism(['SCRAM-SHA-1'], { token: 't' }, account, false)).toThrow(/encrypted \(HTTPS\)/);
  });

  it('encodes payloads as base64 with "=" for empty (RFC 6120 §6.4.2)', () => {
    expect(encodePayload('')).toBe('=');
    expect(decodePayload(encodePayload('héllo'))).toBe('héllo');
    expect(decodePayload('=')).toBe('');
  });
});
