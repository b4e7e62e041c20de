import { checkIdNumber, checkUscc, Checked } from '../../shared/identifiers';

/**
 * The departments that correct their own records through the graph, and log each correction in a
 * change log of their own (shared/record-changes.ts): the mutation that corrects, the log field
 * the gateway reads (`@inaccessible`, not part of the public graph), and the key that names records.
 * Change notices read these logs; a correction that names an objection is checked against it
 * before it is sent; an objection on such a record is closed only once a correction names it.
 */
export const CHANGE_LOGS = [
  {
    department: 'persons', entity: 'NaturalPerson', correction: 'correctNaturalPerson', field: 'naturalPersonChanges', key: 'idNumber', check: checkIdNumber,
    corrects: ['name', 'gender', 'birthDate', 'status', 'deceasedOn'],
  },
  {
    department: 'legal-persons', entity: 'LegalPerson', correction: 'correctLegalPerson', field: 'legalPersonChanges', key: 'uscc', check: checkUscc,
    corrects: ['name', 'status', 'legalRepresentative'],
  },
] as const satisfies readonly {
  department: string; entity: string; correction: string; field: string; key: string; check: (raw: string) => Checked;
  /** The entity's fields the correction changes, as the change log names them (the others are not corrected through the graph). */
  corrects: readonly string[];
}[];

export type ChangeLogOf = (typeof CHANGE_LOGS)[number];
