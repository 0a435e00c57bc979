// Structured logs (pino), one logger per server, children per component.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'parley' } });
}
