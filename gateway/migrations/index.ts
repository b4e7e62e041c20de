import { auditTrail } from './002_audit_trail';
import { consumersAndGrants } from './001_consumers_and_grants';
import { recordedOperations } from './003_recorded_operations';
import { usage } from './004_usage';
import { dataQuality } from './005_data_quality';
import { consistencyRunHeartbeat } from './006_consistency_run_heartbeat';
import { auditSubjectsBehind } from './007_audit_subjects_behind';
import { recordedOperationsBlanked } from './008_recorded_operations_blanked';
import { auditListsUnbounded } from './009_audit_lists_unbounded';
import { auditSubjectsProtected } from './010_audit_subjects_protected';
import { auditPurges } from './011_audit_purges';
import { auditSubjectsByRecord } from './012_audit_subjects_by_record';
import { recordedOperationsDigitsBlanked } from './013_recorded_operations_digits_blanked';
import { auditPurgeProofs } from './014_audit_purge_proofs';
import { auditTrailByConsumer } from './015_audit_trail_by_consumer';
import { auditGrants } from './016_audit_grants';
import { auditPurgeProofUnbounded } from './017_audit_purge_proof_unbounded';

export const migrations = [consumersAndGrants, auditTrail, recordedOperations, usage, dataQuality, consistencyRunHeartbeat, auditSubjectsBehind, recordedOperationsBlanked, auditListsUnbounded, auditSubjectsProtected, auditPurges, auditSubjectsByRecord, recordedOperationsDigitsBlanked, auditPurgeProofs, auditTrailByConsumer, auditGrants, auditPurgeProofUnbounded];
