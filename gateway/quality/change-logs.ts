import { checkIdNumber, checkProjectCode, checkUscc, Checked } from '../../shared/identifiers';

/**
 * The departments that change their own records through the graph, and log each change in a
 * change log of their own (shared/record-changes.ts; credit's is `credit_changes`): the mutations
 * that change them, the log field the gateway reads (`@inaccessible`, not part of the public
 * graph), and the key that names records. Change notices read these logs; a change that names an
 * objection is checked against it before it is sent; an objection on such a record is closed only
 * once a change of the disputed field names it.
 */
export const CHANGE_LOGS = [
  {
    department: 'persons', entity: 'NaturalPerson', corrections: ['correctNaturalPerson'], field: 'naturalPersonChanges', key: 'idNumber', check: checkIdNumber,
    keepsPrevious: true, corrects: ['name', 'gender', 'birthDate', 'status', 'deceasedOn', 'householdAddress', 'householdDivision', 'mobilePhone'],
  },
  {
    department: 'legal-persons', entity: 'LegalPerson', corrections: ['correctLegalPerson'], field: 'legalPersonChanges', key: 'uscc', check: checkUscc,
    keepsPrevious: true, corrects: ['name', 'status', 'establishedOn', 'enterpriseType', 'registeredCapital', 'businessScope', 'registeredAddress', 'legalRepresentative', 'division'],
  },
  {
    department: 'projects', entity: 'InvestmentProject', corrections: ['correctInvestmentProject', 'recordApprovalStep'], field: 'investmentProjectChanges', key: 'projectCode',
    check: checkProjectCode, keepsPrevious: true, corrects: ['name', 'totalInvestment', 'status', 'declaredOn', 'applicant', 'division', 'parcels', 'approvals'],
  },
  // Credit adds `credit` to the subjects the others own; its log says when a subject's credit
  // changed, and is told to the consumers that read the subject's credit (`readAs`), not to every
  // one that read the subject's name.
  {
    department: 'credit', entity: 'NaturalPerson', corrections: ['withdrawNaturalPersonCreditEntry'], field: 'naturalPersonCreditChanges', key: 'idNumber', check: checkIdNumber,
    corrects: ['credit'], readAs: 'NaturalPerson.credit',
  },
  {
    department: 'credit', entity: 'LegalPerson', corrections: ['withdrawLegalPersonCreditEntry', 'rateLegalPerson'], field: 'legalPersonCreditChanges', key: 'uscc', check: checkUscc,
    corrects: ['credit'], readAs: 'LegalPerson.credit',
  },
] as const satisfies readonly {
  department: string; entity: string;
  /** The mutations that change the records and may name the objection they answer (`objectionId`). */
  corrections: readonly string[];
  field: string; key: string; check: (raw: string) => Checked;
  /** Whether its entries keep what the changed fields held before (`previous`): not credit's, which says only in general terms what changed. */
  keepsPrevious?: true;
  /** The entity's fields the corrections change, as the change log names them (the others are not corrected through the graph). */
  corrects: readonly string[];
  /**
   * The reads its notices go to, as the gateway records them (`entity_reads.entity_type`): those of
   * this one field of the entity (`Type.field`); left out, those of the entity.
   */
  readAs?: string;
}[];

/** The fields whose reads are recorded on their own, as `Type.field`, for the change logs that say `readAs`. */
/**
 * What each correction changes, as its change log names the items: those its `input` object sets
 * (under the log's names where the input's differ), or the one `item` the mutation changes. An
 * `objectionId` is taken only by a correction that changes the disputed item.
 */
export const CORRECTION_CHANGES: Record<ChangeLogOf['corrections'][number], { input: string; renamed: Record<string, string> } | { item: string }> = {
  correctNaturalPerson: { input: 'correction', renamed: { householdDivisionCode: 'householdDivision' } },
  correctLegalPerson: { input: 'correction', renamed: { legalRepresentativeIdNumber: 'legalRepresentative', divisionCode: 'division' } },
  correctInvestmentProject: { input: 'correction', renamed: { applicantUscc: 'applicant', divisionCode: 'division', parcelCodes: 'parcels' } },
  recordApprovalStep: { item: 'approvals' },
  withdrawNaturalPersonCreditEntry: { item: 'credit' },
  withdrawLegalPersonCreditEntry: { item: 'credit' },
  rateLegalPerson: { item: 'credit' },
};

/**
 * Items a correction sets in answer to an objection only when the objection is about them (or
 * about what they stand for): a project past review goes back to DECLARED or UNDER_REVIEW only as
 * an objection's answer (the projects department's rule, which sees only that an objectionId was
 * given), and that objection must dispute the status or the approval steps, not any other item the
 * same correction sets (its name).
 */
export const ANSWERED_ONLY_FOR: Partial<Record<ChangeLogOf['corrections'][number], Record<string, readonly string[]>>> = {
  correctInvestmentProject: { status: ['status', 'approvals'] },
};

export const READ_ON_THEIR_OWN: ReadonlySet<string> = new Set(CHANGE_LOGS.flatMap((log): string[] => ('readAs' in log ? [log.readAs] : [])));

/** Which reads a change log's notices go to: of its `readAs` field, or of the entity. */
export const noticesGoTo = (log: ChangeLogOf): string => ('readAs' in log ? log.readAs : log.entity);

export type ChangeLogOf = (typeof CHANGE_LOGS)[number];
