import { naturalPersons } from './001_natural_persons';
import { recordChanges } from './002_record_changes';

export const migrations = [naturalPersons, recordChanges];
