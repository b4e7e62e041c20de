import { investmentProjects } from './001_investment_projects';

export const migrations = [investmentProjects];
