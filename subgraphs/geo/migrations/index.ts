import { divisionsAndParcels } from './001_divisions_and_parcels';

export const migrations = [divisionsAndParcels];
