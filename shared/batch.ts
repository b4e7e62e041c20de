import DataLoader from 'dataloader';
import { badUserInput } from './errors';
import type { Checked } from './identifiers';

/**
 * DataLoaders built on one `WHERE key IN (...)` per batch. A loader lives for one request, so
 * every lookup of the same entity type in one plan step becomes a single SQL statement.
 */

/** One row per key, in the order asked, `null` where there is none. */
export function rowLoader<Row>(
  fetch: (keys: readonly string[]) => Promise<Row[]>,
  keyOf: (row: Row) => string,
): DataLoader<string, Row | null> {
  return new DataLoader(async (keys) => {
    const byKey = new Map((await fetch(keys)).map((row) => [keyOf(row), row]));
    return keys.map((k) => byKey.get(k) ?? null);
  }, { maxBatchSize: 1000 });
}

/** Every row belonging to each key (a one-to-many relation), `[]` where there are none. */
export function groupLoader<Row>(
  fetch: (keys: readonly string[]) => Promise<Row[]>,
  keyOf: (row: Row) => string,
): DataLoader<string, Row[]> {
  return new DataLoader(async (keys) => {
    const groups = new Map<string, Row[]>();
    for (const row of await fetch(keys)) {
      const k = keyOf(row);
      const group = groups.get(k);
      if (group) group.push(row);
      else groups.set(k, [row]);
    }
    return keys.map((k) => groups.get(k) ?? []);
  }, { maxBatchSize: 1000 });
}

/**
 * A list of keys a caller gave, each checked before it is looked up: an invalid one is an error at
 * its own place in the answer (graphql-js puts it at [field, index], the item null), the others
 * are loaded. One bad key never costs the others their answers.
 */
export async function loadEachChecked<Row>(
  loader: DataLoader<string, Row | null>,
  raw: readonly string[],
  check: (raw: string) => Checked,
  argument: string,
): Promise<(Row | null | Error)[]> {
  const checked = raw.map((key, i) => {
    const c = check(key);
    return c.ok ? c.value : badUserInput(`Invalid ${argument}[${i}]: ${c.reason}`, { argument: `${argument}[${i}]` });
  });
  const loaded = await loader.loadMany(checked.filter((c): c is string => typeof c === 'string'));
  let next = 0;
  return checked.map((c) => (typeof c === 'string' ? loaded[next++] : c));
}
