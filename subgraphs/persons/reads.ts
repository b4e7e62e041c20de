import DataLoader from 'dataloader';
import type { NaturalPerson, PersonStore, RegisteredName } from './store';

/** The rows one plan step reads, by idNumber, once its keys are all in. */
interface Step {
  whole: Set<string>;
  names: Set<string>;
  rows: Promise<Map<string, NaturalPerson | RegisteredName>>;
}

/**
 * A request's reads of natural_persons: whole records for lookups and references (`persons`), the
 * name alone for verifications (`registeredNames`). Both loaders of one plan step share one
 * statement: a request that looks a person up and verifies another reads them together, the whole
 * records if any lookup asks for them, the names alone otherwise (a batch of verifications reads
 * two columns). Each DataLoader keeps its own cache, so a name read for a verification never
 * stands in for a whole record.
 */
export function personReads(store: Pick<PersonStore, 'byIdNumbers' | 'namesByIdNumbers'>) {
  let step: Step | null = null;

  /** The rows of the step these keys join: its statement runs once the loaders of this turn have all dispatched. */
  const read = (keys: readonly string[], whole: boolean) => {
    if (!step) {
      const next: Step = { whole: new Set(), names: new Set(), rows: null! };
      // DataLoader dispatches each loader's batch from the nextTick queue; the statement waits behind them.
      next.rows = new Promise<void>((resolve) => process.nextTick(resolve)).then(async () => {
        step = null;
        const idNumbers = [...new Set([...next.whole, ...next.names])];
        const rows: (NaturalPerson | RegisteredName)[] = next.whole.size ? await store.byIdNumbers(idNumbers) : await store.namesByIdNumbers(idNumbers);
        return new Map(rows.map((row) => [row.idNumber, row]));
      });
      step = next;
    }
    for (const key of keys) (whole ? step.whole : step.names).add(key);
    return step.rows;
  };

  return {
    persons: new DataLoader<string, NaturalPerson | null>(async (keys) => {
      const rows = await read(keys, true);
      return keys.map((k) => (rows.get(k) as NaturalPerson | undefined) ?? null);
    }, { maxBatchSize: 1000 }),
    registeredNames: new DataLoader<string, RegisteredName | null>(async (keys) => {
      const rows = await read(keys, false);
      return keys.map((k) => rows.get(k) ?? null);
    }, { maxBatchSize: 1000 }),
  };
}
