import { badUserInput } from './errors';
import type { Checked } from './identifiers';
import { quoted } from './text';

/**
 * Relay paging through a register in key order (keyset: `WHERE key > after`, no OFFSET), as the
 * persons and legal-persons departments page theirs for the consistency checks. The cursor is the
 * key, base64url-encoded; one read of `first + 1` rows tells whether another page follows.
 */
export interface RegisterPage<T> {
  nodes: T[];
  hasNextPage: boolean;
}

/** The key a cursor of a register page carries (what the gateway's audit reads out of a page of persons' cursors). */
export function keyInCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString();
}

export function registerPaging<T>(options: {
  /** Validates a key read back from a cursor. */
  checkKey: (raw: string) => Checked;
  keyOf: (node: T) => string;
  size: { default: number; max: number };
}) {
  const encode = (key: string) => Buffer.from(key).toString('base64url');
  const decode = (cursor: string): string => {
    const checked = options.checkKey(keyInCursor(cursor));
    // The decoded key must be written exactly as this connection wrote it, not merely valid.
    if (!checked.ok || encode(checked.value) !== cursor) throw badUserInput(`after is not a cursor this connection gave out: ${quoted(cursor)}`, { argument: 'after' });
    return checked.value;
  };

  return {
    /** One page: `read(after, limit)` is the department's single keyset statement. */
    async page(args: { first?: number | null; after?: string | null }, read: (after: string | undefined, limit: number) => Promise<T[]>): Promise<RegisterPage<T>> {
      const first = args.first ?? options.size.default;
      if (first < 1 || first > options.size.max) throw badUserInput(`first must lie in [1, ${options.size.max}], not ${first}`, { argument: 'first' });
      const rows = await read(args.after == null ? undefined : decode(args.after), first + 1);
      return { nodes: rows.slice(0, first), hasNextPage: rows.length > first };
    },
    /** The resolvers of the connection type. */
    connection: {
      edges: (page: RegisterPage<T>) => page.nodes.map((node) => ({ cursor: encode(options.keyOf(node)), node })),
      pageInfo: (page: RegisterPage<T>) => ({
        hasNextPage: page.hasNextPage,
        endCursor: page.nodes.length ? encode(options.keyOf(page.nodes[page.nodes.length - 1])) : null,
      }),
    },
  };
}
