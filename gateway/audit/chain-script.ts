import type { Knex } from 'knex';
import { createPool, Pool, PoolOptions } from 'mysql2/promise';
import { usesMysql } from '../../shared/db';

/**
 * One statement of a batch: SQL that MySQL and SQLite both read (identifiers in backticks, values
 * as `?` placeholders), written out rather than built with knex's query builder, which, compiled
 * anew for every batch, took about as long as the rest of the writer's work per answer.
 */
export interface Statement {
  sql: string;
  bindings: unknown[];
}

/** Runs a batch's statements as one transaction: all of them, or none. */
export interface ChainScript {
  run(statements: Statement[]): Promise<void>;
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
 * MySQL: the whole transaction in one round trip (START TRANSACTION; …; COMMIT), on a small pool
 * of its own: only this pool allows several statements per query, and only for the audit trail's
 * statements, whose every value is a placeholder.
 * MySQL stops at the first statement that fails; the transaction is then rolled back.
 */
export function mysqlChainScript(pool: Pool): ChainScript {
  return {
    async run(statements) {
      const connection = await pool.getConnection();
      let reusable = true;
      try {
        await connection.query(['START TRANSACTION', ...statements.map((s) => s.sql), 'COMMIT'].join(';\n'), statements.flatMap((s) => s.bindings));
      } catch (e) {
        // A connection that cannot even roll back is closed, and the pool opens a fresh one.
        reusable = await connection.query('ROLLBACK').then(() => true, () => false);
        throw e;
      } finally {
        if (reusable) connection.release();
        else connection.destroy();
      }
    },
    isConflict: (error) => (error as { code?: string }).code === 'ER_DUP_ENTRY',
    close: () => pool.end(),
  };
}

/** SQLite (one gateway process, in-process calls): a knex transaction, statement by statement. */
function knexChainScript(db: Knex): ChainScript {
  return {
    async run(statements) {
      await db.transaction((trx) => runEach(trx, statements));
    },
    isConflict: (error) => /SQLITE_CONSTRAINT/.test((error as { code?: string }).code ?? ''),
    close: async () => undefined,
  };
}

/** The statements one by one on `q` (a transaction). */
export async function runEach(q: Knex, statements: Statement[]): Promise<void> {
  for (const { sql, bindings } of statements) await q.raw(sql, bindings as Knex.RawBinding[]);
}
