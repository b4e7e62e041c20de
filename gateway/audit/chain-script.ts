import type { Knex } from 'knex';
import { createPool, Pool, PoolConnection, PoolOptions } from 'mysql2/promise';
import { usesMysql, writeTransaction } from '../../shared/db';
import { GENESIS_HASH } from './record';

/**
 * One statement of a batch: SQL that MySQL and SQLite both read (identifiers in backticks, values
 * as `?` placeholders), written out rather than built with knex's query builder, which, compiled
 * anew for every batch, took about as long as the rest of the writer's work per answer.
 */
export interface Statement {
  sql: string;
  bindings: unknown[];
}

/** The last record of the chain, which the next one follows. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Runs a batch's statements as one transaction: all of them, or none. */
export interface ChainScript {
  run(statements: Statement[]): Promise<void>;
  /** Locks and reads the chain's head, then runs the statements `write` makes behind it, in one transaction. */
  runLocked(write: (head: ChainHead) => Statement[]): Promise<void>;
  /** The error a write gets when the chain's head or a record number was not where it expected. */
  isConflict(error: unknown): boolean;
  close(): Promise<void>;
}

export function chainScriptFor(db: Knex): ChainScript {
  return usesMysql(db) ? mysqlChainScript(auditPool(db)) : knexChainScript(db);
}

/** The audit writer's own pool on the store `db` opens: two connections that accept several statements per query. */
export function auditPool(db: Knex): Pool {
  return createPool({ ...((db.client.config as Knex.Config).connection as PoolOptions), multipleStatements: true, connectionLimit: 2 });
}

/**
 * MySQL: the whole transaction in one round trip (START TRANSACTION; …; COMMIT), or two when the
 * head is read under its lock first, on a small pool
 * of its own: only this pool allows several statements per query, and only for the audit trail's
 * statements, whose every value is a placeholder.
 * MySQL stops at the first statement that fails; the transaction is then rolled back.
 */
export function mysqlChainScript(pool: Pool): ChainScript {
  const script = (statements: Statement[]) => [...statements.map((s) => s.sql), 'COMMIT'].join(';\n');
  const bindings = (statements: Statement[]) => statements.flatMap((s) => s.bindings);
  return {
    run: (statements) =>
      inTransaction(pool, async (connection) => {
        await connection.query(`START TRANSACTION;\n${script(statements)}`, bindings(statements));
      }),
    // Two round trips: the head's row stays locked in between, so other writers wait their turn.
    runLocked: (write) =>
      inTransaction(pool, async (connection) => {
        const [results] = await connection.query(`START TRANSACTION; ${HEAD_SQL} FOR UPDATE`);
        const statements = write(headOf((results as unknown[])[1] as HeadRow[]));
        await connection.query(script(statements), bindings(statements));
      }),
    isConflict: (error) => (error as { code?: string }).code === 'ER_DUP_ENTRY',
    close: () => pool.end(),
  };
}

/** `work` on one of the pool's connections; rolled back if it fails, and a connection that cannot even roll back is closed (the pool opens a fresh one). */
async function inTransaction(pool: Pool, work: (connection: PoolConnection) => Promise<void>): Promise<void> {
  const connection = await pool.getConnection();
  let reusable = true;
  try {
    await work(connection);
  } catch (e) {
    reusable = await connection.query('ROLLBACK').then(() => true, () => false);
    throw e;
  } finally {
    if (reusable) connection.release();
    else connection.destroy();
  }
}

/** The chain's head, one row; both dialects read it with this statement. */
const HEAD_SQL = 'SELECT `last_seq`, `last_hash` FROM `audit_chain` WHERE `id` = 1';
type HeadRow = { last_seq: number | string; last_hash: string };

/** The head as stored; the chain's start when there is no head row. */
function headOf(rows: HeadRow[]): ChainHead {
  const row = rows[0];
  return row ? { seq: Number(row.last_seq), hash: row.last_hash } : { seq: 0, hash: GENESIS_HASH };
}

/**
 * SQLite: a knex transaction, statement by statement, that takes the store's write lock first
 * (`writeTransaction`), waiting for it in short steps. Begun by a read, as a plain transaction
 * begins, a batch failed at once whenever another gateway process on the same file had written
 * meanwhile (SQLITE_BUSY), and every answer waiting for it was withheld.
 */
function knexChainScript(db: Knex): ChainScript {
  return {
    async run(statements) {
      await writeTransaction(db, (trx) => runEach(trx, statements));
    },
    // SQLite has one writer at a time: the write lock is the head's lock (knex warns on FOR UPDATE there).
    async runLocked(write) {
      await writeTransaction(db, async (trx) => runEach(trx, write(headOf((await trx.raw(HEAD_SQL)) as HeadRow[]))));
    },
    isConflict: (error) => /SQLITE_CONSTRAINT/.test((error as { code?: string }).code ?? ''),
    close: async () => undefined,
  };
}

/** The statements one by one on `q` (a transaction). */
async function runEach(q: Knex, statements: Statement[]): Promise<void> {
  for (const { sql, bindings } of statements) await q.raw(sql, bindings as Knex.RawBinding[]);
}
