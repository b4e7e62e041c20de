import { InvalidArgumentError } from 'commander';
import type { Knex } from 'knex';
import type { Config } from '../shared/config';
import { storeLocation } from '../shared/db';
import { gatewayStoreFound, openGatewayStore } from '../gateway/store';

/**
 * What the command-line scripts share: commander argument parsers that refuse a bad value with
 * what the option accepts (commander names the option), and opening the gateway's store only
 * where one already exists, so a mistyped ONESOURCE_DATA_DIR or database is reported, not created,
 * and a file or database that is not the gateway's is reported, not migrated into one.
 */

/**
 * A commander argParser for a whole number in [min, max] (`of` names the unit; `accepts` replaces the
 * generated description), written in plain digits: "abc", "1.5", "-5", "1e3" and "" are refused,
 * which Number() would partly accept.
 */
export function wholeNumber({ min = 0, max, of, accepts: described }: { min?: number; max?: number; of?: string; accepts?: string } = {}) {
  const n = (v: number) => v.toLocaleString('en-US');
  const accepts = described ?? `a whole number${of ? ` of ${of}` : ''}${max === undefined ? `, at least ${n(min)}` : ` from ${n(min)} to ${n(max)}`}`;
  return (value: string): number => {
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || (max !== undefined && parsed > max)) throw new InvalidArgumentError(accepts);
    return parsed;
  };
}

/** Thrown when the gateway's store is not there, or what is there is not one: nothing was created or changed. */
export class NoGatewayStoreError extends Error {}

/**
 * Opens the gateway's store (migrated, as the gateway opens it) only if it exists and is
 * OneSource's: the SQLite file `<dataDir>/gateway.sqlite`, or the MySQL database `<prefix>gateway`,
 * holding the gateway's migrations (a store of an older version is migrated, as the gateway would).
 * Otherwise throws NoGatewayStoreError saying where it looked, and leaves that place as it was: an
 * empty file, or another application's database, is not made into a gateway store.
 */
export async function openExistingGatewayStore(config: Config): Promise<Knex> {
  const found = await gatewayStoreFound(config);
  if (found !== 'onesource') {
    const { client, where } = storeLocation(config, 'gateway');
    const sqlite = client === 'better-sqlite3';
    if (found === 'foreign') {
      throw new NoGatewayStoreError(
        sqlite
          ? `${where} is not a OneSource gateway store (it holds no gateway migrations): check ONESOURCE_DATA_DIR; the file was left as it was`
          : `the MySQL database ${where} is not a OneSource gateway store (it holds no gateway migrations): check ONESOURCE_MYSQL_URL, ONESOURCE_GATEWAY_MYSQL_URL and ONESOURCE_DB_PREFIX; the database was left as it was`,
      );
    }
    throw new NoGatewayStoreError(
      sqlite
        ? `there is no gateway store in ${config.dataDir} (no ${where}): set ONESOURCE_DATA_DIR to the data directory of the gateway that serves the consumers`
        : `there is no gateway store on MySQL: the database ${where} does not exist (set ONESOURCE_MYSQL_URL, ONESOURCE_GATEWAY_MYSQL_URL and ONESOURCE_DB_PREFIX as the gateway that serves the consumers has them)`,
    );
  }
  return openGatewayStore(config);
}
