import { legalPersons } from './001_legal_persons';
import { recordChangesMigration } from '../../../shared/record-changes';

export const migrations = [legalPersons, recordChangesMigration];
