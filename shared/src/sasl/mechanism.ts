// A client SASL mechanism: an optional initial response, answers to challenges, a check of the success data.
export interface ClientMechanism {
  readonly name: string;
  /** The initial response (RFC 6120 §6.4.2), as text before base64. */
  initial(): Promise<string>;
  /** The response to a server challenge. */
  challenge(challenge: string): Promise<string>;
  /** Additional data with success (SCRAM's server signature); throws when it does not verify. */
  success(data: string): Promise<void>;
}
