import { legalPersons } from './001_legal_persons';
import { recordChangesMigration, recordChangesPreviousMigration } from '../../../shared/record-changes';

export const migrations = [legalPersons, recordChangesMigration, recordChangesPreviousMigration];
