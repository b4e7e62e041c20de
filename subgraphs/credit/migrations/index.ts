import { credit } from './001_credit';

export const migrations = [credit];
