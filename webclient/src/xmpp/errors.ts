// Errors the client reports to its user: each has a plain-language message for the UI.

/** SASL said no (RFC 6120 §6.5): wrong password, unknown account, locked out, no mechanism in common. */
export class AuthenticationError extends Error {
  constructor(readonly condition: string, text?: string) {
    super(text || AuthenticationError.describe(condition));
    this.name = 'AuthenticationError';
  }

  static describe(condition: string): string {
    switch (condition) {
      case 'not-authorized': return 'Wrong address or password.';
      case 'account-disabled': return 'This account is disabled.';
      case 'credentials-expired': return 'Your sign-in has expired. Please sign in again.';
      case 'encryption-required': return 'The server requires an encrypted connection for this sign-in method.';
      case 'no-mechanism': return 'The server offers no sign-in method this client supports.';
      case 'token-needs-encryption': return 'Signing in with a token needs an encrypted (HTTPS) connection to the server.';
      case 'token-unsupported': return 'The server does not accept sign-in tokens (SASL OAUTHBEARER). Sign in with a password instead.';
      case 'temporary-auth-failure': return 'The server could not check your sign-in right now. Try again shortly.';
      default: return `Sign-in failed (${condition}).`;
    }
  }
}

/** The server ended the stream with a <stream:error/> (RFC 6120 §4.9). */
export class StreamErrorReceived extends Error {
  constructor(readonly condition: string, readonly text?: string) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StreamErrorReceived';
  }
}

/** No transport could reach the server, or the connection dropped. */
export class ConnectionError extends Error {
  constructor(message: string, readonly beforeStreamOpened = false) {
    super(message);
    this.name = 'ConnectionError';
  }
}
