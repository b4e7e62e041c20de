import type { AuditEntry } from '../../gateway/audit/record';

/** Audit entries of one made-up read each, numbered `<prefix>-1`, `<prefix>-2`, …: for the audit trail's own tests. */
export function auditEntries(prefix: string): (subjects: string[], at?: string) => AuditEntry {
  let serial = 0;
  return (subjects, at = new Date().toISOString()) => {
    serial += 1;
    return {
      at, consumer: 'drc-approval', purpose: '并联审批', requestId: `${prefix}-${serial}`,
      operationName: 'PersonLookup', operationHash: 'h'.repeat(64), subjects, fields: ['NaturalPerson.name'], outcome: 'COMPLETE',
    };
  };
}
