import { divisionsAndParcels } from './001_divisions_and_parcels';
import { boundariesLoadable } from './002_boundaries_loadable';

export const migrations = [divisionsAndParcels, boundariesLoadable];
