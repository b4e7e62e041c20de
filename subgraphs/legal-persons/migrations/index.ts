import { legalPersons } from './001_legal_persons';
import { recordChanges } from './002_record_changes';

export const migrations = [legalPersons, recordChanges];
