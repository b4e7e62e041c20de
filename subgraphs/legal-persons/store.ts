import type { Knex } from 'knex';

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

function toLegalPerson(row: LegalPersonRow): LegalPerson {
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

export function createLegalPersonStore(db: Knex) {
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
  };
}
