import { credit } from './001_credit';
import { profileFlagsDerived } from './002_profile_flags_derived';

export const migrations = [credit, profileFlagsDerived];
