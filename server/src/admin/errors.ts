// Errors of the admin service, with the HTTP status the admin API answers them with.

export type AdminErrorKind = 'invalid' | 'not-found' | 'conflict';

const STATUS: Record<AdminErrorKind, string> = {
  invalid: '400 Bad Request',
  'not-found': '404 Not Found',
  conflict: '409 Conflict',
};

export class AdminError extends Error {
  override name = 'AdminError';
  constructor(message: string, readonly kind: AdminErrorKind = 'invalid') {
    super(message);
  }

  get httpStatus(): string {
    return STATUS[this.kind];
  }
}
