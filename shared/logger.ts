import pino, { Logger } from 'pino';

export type { Logger };

/** JSON logs on stderr, one logger per process, named after the part that writes them. */
export function createLogger(name: string, level: string): Logger {
  return pino({ name, level, base: { service: name } }, pino.destination(2));
}
