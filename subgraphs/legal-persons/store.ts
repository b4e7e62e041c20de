import type { Knex } from 'knex';
import type { CorrectableValues } from './corrections';
import { ChangeNote, CorrectionDecided, createChangeLog } from '../../shared/record-changes';

export interface LegalPerson {
  uscc: string;
  name: string;
  status: 'ACTIVE' | 'REVOKED' | 'CANCELLED';
  establishedOn: string;
  enterpriseType: string;
  registeredCapital: number;
  businessScope: string;
  registeredAddress: string;
  representativeIdNumber: string;
  divisionCode: string;
}

export interface LegalPersonRow {
  uscc: string;
  name: string;
  status: string;
  established_on: string;
  enterprise_type: string;
  registered_capital: number | string;
  business_scope: string;
  registered_address: string;
  representative_id_number: string;
  division_code: string;
}

export function toLegalPerson(row: LegalPersonRow): LegalPerson {
  return {
    uscc: row.uscc,
    name: row.name,
    status: row.status as LegalPerson['status'],
    establishedOn: row.established_on,
    enterpriseType: row.enterprise_type,
    registeredCapital: Number(row.registered_capital),
    businessScope: row.business_scope,
    registeredAddress: row.registered_address,
    representativeIdNumber: row.representative_id_number,
    divisionCode: row.division_code,
  };
}

const CORRECTABLE_COLUMNS: Record<keyof CorrectableValues, keyof LegalPersonRow> = {
  name: 'name',
  status: 'status',
  establishedOn: 'established_on',
  enterpriseType: 'enterprise_type',
  registeredCapital: 'registered_capital',
  businessScope: 'business_scope',
  registeredAddress: 'registered_address',
  representativeIdNumber: 'representative_id_number',
  divisionCode: 'division_code',
};

const toColumns = (values: Partial<CorrectableValues>) =>
  Object.fromEntries(Object.entries(values).map(([field, value]) => [CORRECTABLE_COLUMNS[field as keyof CorrectableValues], value]));

/** What a correction changes, decided from the record as it is when locked (corrections.ts). */
export type CorrectionDecision = (current: LegalPerson) => CorrectionDecided<Partial<CorrectableValues>>;

export function createLegalPersonStore(db: Knex) {
  const changes = createChangeLog(db);
  return {
    async byUsccs(usccs: readonly string[]): Promise<LegalPerson[]> {
      const rows: LegalPersonRow[] = await db('legal_persons').whereIn('uscc', usccs);
      return rows.map(toLegalPerson);
    },
    async byRepresentatives(idNumbers: readonly string[]): Promise<LegalPerson[]> {
      const rows: LegalPersonRow[] = await db('legal_persons')
        .whereIn('representative_id_number', idNumbers)
        .orderBy('uscc');
      return rows.map(toLegalPerson);
    },
    /** Up to `limit` legal persons after the `after` uscc, in uscc order (keyset pagination: no OFFSET). */
    async page(status: string | undefined, after: string | undefined, limit: number): Promise<LegalPerson[]> {
      const q = db('legal_persons').orderBy('uscc').limit(limit);
      if (status) q.where('status', status);
      if (after) q.where('uscc', '>', after);
      return ((await q) as LegalPersonRow[]).map(toLegalPerson);
    },
    /** Corrects one record and logs the change, in one transaction (the change log's `correct`). */
    correct: (uscc: string, decide: CorrectionDecision, note: ChangeNote): Promise<LegalPerson | null> =>
      changes.correct({ table: 'legal_persons', keyColumn: 'uscc', key: uscc, read: toLegalPerson, write: toColumns }, decide, note),
    changesSince: changes.since,
  };
}
