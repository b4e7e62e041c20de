import { recordChangesMigrationFor, recordChangesPreviousMigration } from '../../../shared/record-changes';
import { investmentProjects } from './001_investment_projects';

/** The change log of corrections and approval progress, keyed by projectCode (24 characters). */
export const migrations = [investmentProjects, recordChangesMigrationFor(24), recordChangesPreviousMigration];
