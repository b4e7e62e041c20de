import { legalPersons } from './001_legal_persons';

export const migrations = [legalPersons];
