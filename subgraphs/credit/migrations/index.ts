import { credit } from './001_credit';
import { profileFlagsDerived } from './002_profile_flags_derived';
import { subjectTypeInKey } from './003_subject_type_in_key';

export const migrations = [credit, profileFlagsDerived, subjectTypeInKey];
