// JWT verification with `jose` for single sign-on (SASL OAUTHBEARER) and the admin API: an HS256
// shared secret, or RS256/PS256/ES256/EdDSA keys from the suite's JWKS URL. Signature, audience,
// issuer (when configured), expiry and not-before are checked (RFC 7519 §4.1).
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface JwtVerification {
  /** HS256 shared secret (at least 32 characters). */
  secret?: string | undefined;
  /** The suite's JSON Web Key Set (RS256, PS256, ES256, EdDSA keys). */
  jwksUrl?: string | undefined;
  audience: string;
  issuer?: string | undefined;
  clockToleranceSeconds: number;
}

/** Why a token was refused; `unavailable` means the keys could not be fetched (try again later). */
export type TokenProblem = 'expired' | 'bad-signature' | 'wrong-audience' | 'invalid' | 'unavailable';

export class TokenError extends Error {
  override name = 'TokenError';
  constructor(readonly problem: TokenProblem, message: string) {
    super(message);
  }
}

const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'];
/** The JWKS is fetched at most this often on an unknown key id, and awaited at most this long. */
const JWKS_COOLDOWN_MS = 30_000;
const JWKS_TIMEOUT_MS = 5_000;

export class JwtVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly options: JwtVerification) {
    if (options.secret) {
      this.key = new TextEncoder().encode(options.secret);
      this.algorithms = ['HS256'];
    } else if (options.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: JWKS_COOLDOWN_MS, timeoutDuration: JWKS_TIMEOUT_MS });
      this.algorithms = ASYMMETRIC;
    } else {
      throw new Error('a JWT verifier needs a secret or a JWKS URL');
    }
  }

  /** The verified claims, or a TokenError saying what is wrong with the token. */
  async verify(token: string): Promise<JWTPayload> {
    try {
      const verifyOptions = {
        algorithms: this.algorithms,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['exp'],
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
      };
      const { payload } = typeof this.key === 'function'
        ? await jwtVerify(token, this.key, verifyOptions)
        : await jwtVerify(token, this.key, verifyOptions);
      return payload;
    } catch (error) {
      throw describe(error);
    }
  }
}

function describe(error: unknown): TokenError {
  const code = (error as { code?: string }).code;
  const claim = (error as { claim?: string }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED': return new TokenError('expired', 'the token has expired');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return new TokenError('bad-signature', 'the token signature is not valid');
    case 'ERR_JWKS_NO_MATCHING_KEY': return new TokenError('bad-signature', 'the token is not signed by a known key');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'aud') return new TokenError('wrong-audience', 'the token is not meant for this service');
      return new TokenError('invalid', `the token's ${claim ?? 'claims'} claim is not acceptable`);
    case 'ERR_JWKS_TIMEOUT': return new TokenError('unavailable', 'the signing keys could not be fetched in time');
    case 'ERR_JWS_INVALID': case 'ERR_JWT_INVALID': case 'ERR_JOSE_ALG_NOT_ALLOWED': case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS': case 'ERR_JWK_INVALID':
      return new TokenError('invalid', 'the token is not a valid signed JWT');
    case 'ERR_JWKS_INVALID': return new TokenError('unavailable', 'the signing keys could not be read');
    default:
      // fetch failures of the JWKS (connection refused, HTTP errors) are not the token's fault
      return new TokenError('unavailable', 'the signing keys could not be fetched');
  }
}

/** The user a token names: the configured claim (default 'email'), else 'sub'. */
export function tokenSubject(payload: JWTPayload, claim: string): string | null {
  const named = payload[claim];
  if (typeof named === 'string' && named !== '') return named;
  return typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : null;
}
