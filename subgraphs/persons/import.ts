import { checkIdNumber, idNumberFacts } from '../../shared/identifiers';
import { checkCountyCode, ImportRules, insertRows, Judged, rowsInTable, RawRecord, recordFields, validKey, keysInTable } from '../../shared/importing';
import type { NaturalPersonRow } from './store';

const GENDERS = ['MALE', 'FEMALE'] as const;
const STATUSES = ['ALIVE', 'DECEASED'] as const;

/**
 * One natural person. The idNumber carries the birth date and gender (GB 11643), so a row that
 * says otherwise is wrong in one place or the other: it is refused, not silently corrected.
 */
export function judgeNaturalPerson(record: RawRecord): Judged<NaturalPersonRow> {
  const f = recordFields(record);
  const idNumber = f.identifier('idNumber', checkIdNumber);
  const name = f.text('name', 32);
  const gender = f.choice('gender', GENDERS);
  const birthDate = f.date('birthDate');
  const status = f.choice('status', STATUSES);
  const deceasedOn = f.optional('deceasedOn', f.date);
  const householdAddress = f.text('householdAddress', 200, { lineBreaks: true });
  const householdDivisionCode = f.identifier('householdDivisionCode', checkCountyCode);
  const mobilePhone = f.optional('mobilePhone', (n) => f.text(n, 11));

  if (f.valid('idNumber')) {
    const facts = idNumberFacts(idNumber);
    if (f.valid('gender') && gender !== facts.gender) {
      f.complain(`gender ${gender} disagrees with the idNumber, which says ${facts.gender}`);
    }
    if (f.valid('birthDate') && birthDate !== facts.birthDate) {
      f.complain(`birthDate ${birthDate} disagrees with the idNumber, which says ${facts.birthDate}`);
    }
  }
  if (f.valid('status')) {
    if (status === 'DECEASED' && deceasedOn === null) f.complain('deceasedOn is required when status is DECEASED');
    if (status === 'ALIVE' && deceasedOn !== null) f.complain('deceasedOn is given but status is ALIVE');
  }
  if (deceasedOn !== null && f.valid('deceasedOn', 'birthDate') && deceasedOn < birthDate) {
    f.complain(`deceasedOn ${deceasedOn} is before birthDate ${birthDate}`);
  }
  if (mobilePhone !== null && f.valid('mobilePhone') && !/^1\d{10}$/.test(mobilePhone)) {
    f.complain(`mobilePhone must be 11 digits beginning with 1, not "${mobilePhone}"`);
  }

  return f.result(() => ({
    id_number: idNumber,
    name,
    gender,
    birth_date: birthDate,
    status,
    deceased_on: deceasedOn,
    household_division_code: householdDivisionCode,
    household_address: householdAddress,
    mobile_phone: mobilePhone,
  }));
}

/** 自然人库 loads natural persons into natural_persons, and nothing else. */
export const naturalPersonImport: ImportRules<NaturalPersonRow> = {
  entity: 'natural persons',
  keyField: 'idNumber',
  fields: {
    required: ['idNumber', 'name', 'gender', 'birthDate', 'status', 'householdAddress', 'householdDivisionCode'],
    optional: ['deceasedOn', 'mobilePhone'],
  },
  judge: judgeNaturalPerson,
  keyOf: (row) => row.id_number,
  storedRows: (db, rows) => rowsInTable(db, 'natural_persons', 'id_number', rows),
  keyOfRecord: (record) => validKey(record, 'idNumber', checkIdNumber),
  storedKeys: (db, keys) => keysInTable(db, 'natural_persons', 'id_number', keys),
  insert: (db, rows) => insertRows(db, 'natural_persons', rows),
};
