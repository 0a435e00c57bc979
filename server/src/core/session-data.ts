// Per-session data that modules keep on a session (Prosody's session.foo fields), under typed keys
// so that one module's field is not another's by accident.

/** A typed key: `const DIRECTED = new SessionKey<Set<string>>('presence.directed')`. */
export class SessionKey<T> {
  declare private readonly type: T;
  constructor(readonly name: string) {}
}

export class SessionData {
  private readonly values = new Map<SessionKey<unknown>, unknown>();

  get<T>(key: SessionKey<T>): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set<T>(key: SessionKey<T>, value: T): void {
    this.values.set(key, value);
  }

  delete(key: SessionKey<unknown>): void {
    this.values.delete(key);
  }
}
