import { checkIdNumber, checkUscc, idNumberFacts, today } from '../../shared/identifiers';
import { checkCountyCode, ImportRules, insertRows, Judged, rowsInTable, RawRecord, recordFields, validKey, keysInTable } from '../../shared/importing';
import type { LegalPersonRow } from './store';

const STATUSES = ['ACTIVE', 'REVOKED', 'CANCELLED'] as const;
const MIN_REPRESENTATIVE_AGE = 16;

/**
 * One legal person. The representative is Public Security's record: its idNumber is checked
 * for validity only, never looked up (a department does not read another's store), and the
 * county likewise by its code.
 */
export function judgeLegalPerson(record: RawRecord): Judged<LegalPersonRow> {
  const f = recordFields(record);
  const uscc = f.identifier('uscc', checkUscc);
  const name = f.text('name', 100);
  const status = f.choice('status', STATUSES);
  const establishedOn = f.date('establishedOn');
  const enterpriseType = f.text('enterpriseType', 60);
  // 万元, DECIMAL(14,2)
  const registeredCapital = f.amount('registeredCapital', { max: 999_999_999_999.99 });
  const businessScope = f.text('businessScope', 300, { lineBreaks: true });
  const registeredAddress = f.text('registeredAddress', 200, { lineBreaks: true });
  const representative = f.identifier('legalRepresentativeIdNumber', checkIdNumber);
  const divisionCode = f.identifier('divisionCode', checkCountyCode);

  // A legal representative acts for the company: only a person of full civil capacity can, that is
  // 18, or 16 living on their own income (民法典 第十八条). Judged by today's age: the record names
  // the representative now, who may have been appointed long after the company was established.
  if (f.valid('legalRepresentativeIdNumber')) {
    const born = idNumberFacts(representative).birthDate;
    const sixteenth = `${Number(born.slice(0, 4)) + MIN_REPRESENTATIVE_AGE}${born.slice(4)}`;
    if (sixteenth > today()) {
      f.complain(`legalRepresentativeIdNumber ${representative} is of a person born ${born}, under ${MIN_REPRESENTATIVE_AGE}: a legal representative has full civil capacity (民法典 第十八条)`);
    }
  }

  return f.result(() => ({
    uscc,
    name,
    status,
    established_on: establishedOn,
    enterprise_type: enterpriseType,
    registered_capital: registeredCapital,
    business_scope: businessScope,
    registered_address: registeredAddress,
    representative_id_number: representative,
    division_code: divisionCode,
  }));
}

/** 法人库 loads legal persons into legal_persons, and nothing else. */
export const legalPersonImport: ImportRules<LegalPersonRow> = {
  entity: 'legal persons',
  keyField: 'uscc',
  fields: {
    required: [
      'uscc', 'name', 'status', 'establishedOn', 'enterpriseType', 'registeredCapital', 'businessScope',
      'registeredAddress', 'legalRepresentativeIdNumber', 'divisionCode',
    ],
    optional: [],
  },
  judge: judgeLegalPerson,
  keyOf: (row) => row.uscc,
  storedRows: (db, rows) => rowsInTable(db, 'legal_persons', 'uscc', rows),
  keyOfRecord: (record) => validKey(record, 'uscc', checkUscc),
  storedKeys: (db, keys) => keysInTable(db, 'legal_persons', 'uscc', keys),
  fieldOfColumn: { representative_id_number: 'legalRepresentativeIdNumber' },
  insert: (db, rows) => insertRows(db, 'legal_persons', rows),
};
