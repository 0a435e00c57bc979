// SASL failure conditions (RFC 6120 §6.5). Every mechanism reports failure by
// throwing a SaslError; the stream layer maps `condition` to the
// <failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/> child element.

/** The defined <failure/> conditions of RFC 6120 §6.5.1–§6.5.11. */
export type SaslCondition =
  | 'aborted'
  | 'account-disabled'
  | 'credentials-expired'
  | 'encryption-required'
  | 'incorrect-encoding'
  | 'invalid-authzid'
  | 'invalid-mechanism'
  | 'malformed-request'
  | 'mechanism-too-weak'
  | 'not-authorized'
  | 'temporary-auth-failure';

export class SaslError extends Error {
  readonly condition: SaslCondition;
  /** Optional human-readable <text/> (RFC 6120 §6.5); never reveals whether an account exists. */
  readonly text: string | undefined;

  constructor(condition: SaslCondition, text?: string) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'SaslError';
    this.condition = condition;
    this.text = text;
  }
}
