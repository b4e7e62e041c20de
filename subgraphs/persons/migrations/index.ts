import { naturalPersons } from './001_natural_persons';
import { recordChangesMigration, recordChangesPreviousMigration } from '../../../shared/record-changes';

export const migrations = [naturalPersons, recordChangesMigration, recordChangesPreviousMigration];
