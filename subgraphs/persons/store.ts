import type { Knex } from 'knex';

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

export function createPersonStore(db: Knex) {
  return {
    async byIdNumbers(idNumbers: readonly string[]): Promise<NaturalPerson[]> {
      const rows: NaturalPersonRow[] = await db('natural_persons').whereIn('id_number', idNumbers);
      return rows.map(toNaturalPerson);
    },
  };
}
export type PersonStore = ReturnType<typeof createPersonStore>;
