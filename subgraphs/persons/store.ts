import type { Knex } from 'knex';
import type { NaturalPersonCorrection } from './corrections';
import { ChangeNote, CorrectionDecided, createChangeLog } from '../../shared/record-changes';

export interface NaturalPerson {
  idNumber: string;
  name: string;
  gender: 'MALE' | 'FEMALE';
  birthDate: string;
  status: 'ALIVE' | 'DECEASED';
  deceasedOn: string | null;
  householdAddress: string;
  householdDivisionCode: string;
  mobilePhone: string | null;
}

/** A person's idNumber and registered name: all that a verification reads. */
export type RegisteredName = Pick<NaturalPerson, 'idNumber' | 'name'>;

export interface NaturalPersonRow {
  id_number: string;
  name: string;
  gender: string;
  birth_date: string;
  status: string;
  deceased_on: string | null;
  household_division_code: string;
  household_address: string;
  mobile_phone: string | null;
}

export function toNaturalPerson(row: NaturalPersonRow): NaturalPerson {
  return {
    idNumber: row.id_number,
    name: row.name,
    gender: row.gender as NaturalPerson['gender'],
    birthDate: row.birth_date,
    status: row.status as NaturalPerson['status'],
    deceasedOn: row.deceased_on,
    householdAddress: row.household_address,
    householdDivisionCode: row.household_division_code,
    mobilePhone: row.mobile_phone,
  };
}

const CORRECTABLE_COLUMNS: Record<keyof NaturalPersonCorrection, keyof NaturalPersonRow> = {
  name: 'name',
  gender: 'gender',
  birthDate: 'birth_date',
  status: 'status',
  deceasedOn: 'deceased_on',
  householdAddress: 'household_address',
  householdDivisionCode: 'household_division_code',
  mobilePhone: 'mobile_phone',
};

const toColumns = (values: NaturalPersonCorrection) =>
  Object.fromEntries(Object.entries(values).map(([field, value]) => [CORRECTABLE_COLUMNS[field as keyof NaturalPersonCorrection], value]));

/** What a correction changes, decided from the record as it is when locked (corrections.ts). */
export type CorrectionDecision = (current: NaturalPerson) => CorrectionDecided<NaturalPersonCorrection>;

export function createPersonStore(db: Knex) {
  const changes = createChangeLog(db);
  return {
    async byIdNumbers(idNumbers: readonly string[]): Promise<NaturalPerson[]> {
      const rows: NaturalPersonRow[] = await db('natural_persons').whereIn('id_number', idNumbers);
      return rows.map(toNaturalPerson);
    },
    /**
     * The registered names of these persons and nothing else: what a verification compares. It
     * discloses nothing but MATCH, MISMATCH or NOT_FOUND, so it reads no more of the record either.
     */
    async namesByIdNumbers(idNumbers: readonly string[]): Promise<RegisteredName[]> {
      const rows: Pick<NaturalPersonRow, 'id_number' | 'name'>[] = await db('natural_persons').select('id_number', 'name').whereIn('id_number', idNumbers);
      return rows.map((row) => ({ idNumber: row.id_number, name: row.name }));
    },
    /** Up to `limit` persons after the `after` idNumber, in idNumber order (keyset pagination: no OFFSET). */
    async page(after: string | undefined, limit: number): Promise<NaturalPerson[]> {
      const q = db('natural_persons').orderBy('id_number').limit(limit);
      if (after) q.where('id_number', '>', after);
      return ((await q) as NaturalPersonRow[]).map(toNaturalPerson);
    },
    /** Corrects one record and logs the change, in one transaction (the change log's `correct`). */
    correct: (idNumber: string, decide: CorrectionDecision, note: ChangeNote): Promise<NaturalPerson | null> =>
      changes.correct({ table: 'natural_persons', keyColumn: 'id_number', key: idNumber, read: toNaturalPerson, write: toColumns }, decide, note),
    changesSince: changes.since,
  };
}
export type PersonStore = ReturnType<typeof createPersonStore>;
