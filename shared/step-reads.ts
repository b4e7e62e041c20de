import DataLoader from 'dataloader';

/** The keys one plan step reads, and its rows once they are all in. */
interface Step<Row> {
  wide: Set<string>;
  narrow: Set<string>;
  rows: Promise<Map<string, Row>>;
}

/**
 * Two loaders over one table whose batches of one plan step share one statement: `wide` for the
 * fields that are costly to read (a person's whole record, a county's outline), `narrow` for the
 * few that are not (a name to verify, where an outline came from). The statement reads wide rows
 * if any key of the step asks for them, narrow rows otherwise. Each loader keeps its own cache, so
 * a narrow row never stands in for a wide one.
 */
export function stepLoaders<Narrow extends { [key: string]: unknown }, Wide extends Narrow>(
  read: { wide: (keys: readonly string[]) => Promise<Wide[]>; narrow: (keys: readonly string[]) => Promise<Narrow[]> },
  keyOf: (row: Narrow) => string,
): { wide: DataLoader<string, Wide | null>; narrow: DataLoader<string, Narrow | null> } {
  let step: Step<Narrow> | null = null;

  /** The rows of the step these keys join: its statement runs once this turn's loaders have all dispatched. */
  const rowsFor = (keys: readonly string[], wide: boolean) => {
    if (!step) {
      const next: Step<Narrow> = { wide: new Set(), narrow: new Set(), rows: null! };
      // DataLoader dispatches each loader's batch from the nextTick queue: the statement waits behind them.
      next.rows = new Promise<void>((resolve) => process.nextTick(resolve)).then(async () => {
        step = null;
        const asked = [...new Set([...next.wide, ...next.narrow])];
        const rows: Narrow[] = next.wide.size ? await read.wide(asked) : await read.narrow(asked);
        return new Map(rows.map((row) => [keyOf(row), row]));
      });
      step = next;
    }
    for (const key of keys) (wide ? step.wide : step.narrow).add(key);
    return step.rows;
  };

  return {
    wide: new DataLoader<string, Wide | null>(async (keys) => {
      const rows = await rowsFor(keys, true);
      return keys.map((k) => (rows.get(k) as Wide | undefined) ?? null);
    }, { maxBatchSize: 1000 }),
    narrow: new DataLoader<string, Narrow | null>(async (keys) => {
      const rows = await rowsFor(keys, false);
      return keys.map((k) => rows.get(k) ?? null);
    }, { maxBatchSize: 1000 }),
  };
}
