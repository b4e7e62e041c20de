import type { Knex } from 'knex';
import type { SeedProgress } from '../subgraph-server';

/**
 * Streams `total` generated rows into `table` in multi-row INSERTs, a transaction per chunk:
 * memory stays flat at a million rows and a failure leaves whole chunks, never half a row set.
 * The chunks before a failure stay: a seed wraps its fills in `recordSeed` (runs.ts), so that a
 * store left so is known for half-seeded, never taken for complete.
 */
export async function fillTable<Row extends object>(
  db: Knex,
  table: string,
  total: number,
  makeRows: (index: number) => Row | Row[] | null,
  progress: SeedProgress = () => {},
  rowsPerInsert = 500,
): Promise<void> {
  const chunk = rowsPerInsert * 20;
  for (let start = 0; start < total; start += chunk) {
    const end = Math.min(total, start + chunk);
    const rows: Row[] = [];
    for (let i = start; i < end; i++) {
      const made = makeRows(i);
      if (Array.isArray(made)) rows.push(...made);
      else if (made) rows.push(made);
    }
    await db.transaction(async (trx) => {
      for (let r = 0; r < rows.length; r += rowsPerInsert) await trx(table).insert(rows.slice(r, r + rowsPerInsert));
    });
    progress(end, total);
  }
}

/** What a department's seed fills its tables with: `fillTable`, or a test's stand-in that fails part-way. */
export type FillTable = typeof fillTable;

export async function hasRows(db: Knex, table: string): Promise<boolean> {
  return (await db(table).select(db.raw('1')).limit(1)).length > 0;
}
