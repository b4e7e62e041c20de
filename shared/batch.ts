import DataLoader from 'dataloader';

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
