import { credit } from './001_credit';
import { profileFlagsDerived } from './002_profile_flags_derived';
import { subjectTypeInKey } from './003_subject_type_in_key';
import { creditRepair } from './004_credit_repair';
import { creditChanges } from './005_credit_changes';

export const migrations = [credit, profileFlagsDerived, subjectTypeInKey, creditRepair, creditChanges];
