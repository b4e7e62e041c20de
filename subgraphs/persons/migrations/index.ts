import { naturalPersons } from './001_natural_persons';

export const migrations = [naturalPersons];
