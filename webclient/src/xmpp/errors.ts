// Errors the client reports to its user: each has a plain-language message for the UI.
import { t } from '../i18n/index.svelte.ts';

/** SASL said no (RFC 6120 §6.5): wrong password, unknown account, locked out, no mechanism in common. */
export class AuthenticationError extends Error {
  constructor(readonly condition: string, text?: string) {
    super(text || AuthenticationError.describe(condition));
    this.name = 'AuthenticationError';
  }

  static describe(condition: string): string {
    switch (condition) {
      case 'not-authorized': return t('auth.not-authorized');
      case 'account-disabled': return t('auth.account-disabled');
      case 'credentials-expired': return t('auth.credentials-expired');
      case 'encryption-required': return t('auth.encryption-required');
      case 'no-mechanism': return t('auth.no-mechanism');
      case 'token-needs-encryption': return t('auth.token-needs-encryption');
      case 'token-unsupported': return t('auth.token-unsupported');
      case 'temporary-auth-failure': return t('auth.temporary-auth-failure');
      case 'fast-unsupported': return t('auth.fast-unsupported');
      default: return t('auth.other', { condition });
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
