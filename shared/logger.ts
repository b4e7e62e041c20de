import pino, { Logger } from 'pino';
import { withoutPersonalDigits } from './personal-digits';

export type { Logger };

/**
 * JSON logs on stderr, one logger per process, named after the part that writes them. Personal data
 * never reaches them: every run of an idNumber's digits in a logged value is replaced, and an error
 * from the database loses the SQL knex and mysql2 quote in it (with its values: names, addresses,
 * purposes, idNumbers), keeping the database's own words.
 */
export function createLogger(name: string, level: string): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      // Errors are serialized by `scrubbed` (the log formatter sees the object before serializers do),
      // so pino's own error serializer is not run again on what it made.
      formatters: { log: (object) => scrubbed(object) as Record<string, unknown> },
      serializers: { err: (serialized: unknown) => serialized },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? withoutPersonalDigits(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    pino.destination(2),
  );
}

/** What SQL begins with: knex quotes a failed query before the database's message (`<sql> - <message>`). */
const SQL_START = /^\s*(select|insert|update|delete|replace|with|create|alter|drop|pragma)\b/i;

/** A message without the SQL quoted before the database's own words. */
function withoutQuotedSql(message: string): string {
  if (!SQL_START.test(message)) return message;
  const cut = message.lastIndexOf(' - ');
  return cut < 0 ? '[SQL]' : `[SQL] - ${message.slice(cut + 3)}`;
}

/** pino's error serializer, less the SQL a query error carries: in its message and stack, and as `sql`. */
function withoutSql(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown> | undefined;
  if (!serialized || typeof serialized !== 'object') return serialized;
  const { sql: _sql, bindings: _bindings, parameters: _parameters, ...kept } = serialized;
  if (typeof kept.message === 'string') kept.message = withoutQuotedSql(kept.message);
  if (typeof kept.stack === 'string') {
    // "Error: <message>\n    at …": the message is the stack's head, after the error's name.
    const stack = kept.stack;
    const at = stack.indexOf('\n    at ');
    const head = at < 0 ? stack : stack.slice(0, at);
    const named = /^[\w$]*: /.exec(head)?.[0] ?? '';
    kept.stack = named + withoutQuotedSql(head.slice(named.length)) + (at < 0 ? '' : stack.slice(at));
  }
  return kept;
}

/** A logged value with every run of personal digits replaced, however deep (a few levels). */
function scrubbed(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return withoutPersonalDigits(value);
  if (value instanceof Error) return scrubbed(withoutSql(value), depth);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubbed(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = scrubbed(v, depth + 1);
  return out;
}
