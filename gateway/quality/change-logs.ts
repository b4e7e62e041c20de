import { checkIdNumber, checkUscc, Checked } from '../../shared/identifiers';

/**
 * The departments that correct their own records through the graph, and log each correction in a
 * change log of their own (shared/record-changes.ts): the mutation that corrects, the log field
 * the gateway reads (`@inaccessible`, not part of the public graph), and the key that names records.
 * Change notices read these logs; a correction that names an objection is checked against it
 * before it is sent; an objection on such a record is closed only once a correction names it.
 */
export const CHANGE_LOGS = [
  { department: 'persons', entity: 'NaturalPerson', correction: 'correctNaturalPerson', field: 'naturalPersonChanges', key: 'idNumber', check: checkIdNumber },
  { department: 'legal-persons', entity: 'LegalPerson', correction: 'correctLegalPerson', field: 'legalPersonChanges', key: 'uscc', check: checkUscc },
] as const satisfies readonly { department: string; entity: string; correction: string; field: string; key: string; check: (raw: string) => Checked }[];

export type ChangeLogOf = (typeof CHANGE_LOGS)[number];
