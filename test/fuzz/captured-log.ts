// The server's logger, captured: the fuzz tests fail on any record at error level or above (an
// exception a handler did not turn into a stanza error, RFC 6120 §8.3.3.5 internal-server-error).
import { pino, type Logger } from 'pino';

export interface LogRecord {
  level: number;
  msg?: string;
  err?: { type?: string; message?: string; stack?: string };
  [field: string]: unknown;
}

/** pino's level numbers: 50 error, 60 fatal. */
const ERROR_LEVEL = 50;

export interface CapturedLog {
  logger: Logger;
  /** Records at error level or above since the last take. */
  takeErrors(): LogRecord[];
}

export function captureLog(): CapturedLog {
  let errors: LogRecord[] = [];
  const logger = pino({ level: 'warn', base: { service: 'parley' } }, {
    write(line: string) {
      const record = JSON.parse(line) as LogRecord;
      if (record.level >= ERROR_LEVEL) errors.push(record);
    },
  });
  return {
    logger,
    takeErrors() {
      const taken = errors;
      errors = [];
      return taken;
    },
  };
}

export function describeRecord(record: LogRecord): string {
  const err = record.err ? ` ${record.err.type ?? 'Error'}: ${record.err.message ?? ''}\n${record.err.stack ?? ''}` : '';
  return `${record.msg ?? '(no message)'}${err}`;
}
