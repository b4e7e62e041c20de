import { naturalPersons } from './001_natural_persons';
import { recordChangesMigration } from '../../../shared/record-changes';

export const migrations = [naturalPersons, recordChangesMigration];
