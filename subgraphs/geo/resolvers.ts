import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { groupLoader, rowLoader } from '../../shared/batch';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkDivisionCode, checkParcelCode } from '../../shared/identifiers';
import { GeoJSONScalar } from '../../shared/scalars';
import { stepLoaders } from '../../shared/step-reads';
import type { InternalCaller } from '../../shared/internal-token';
import { BoundaryAllowance } from './boundary-allowance';
import { AdministrativeDivision, createGeoStore, LandParcel } from './store';

/**
 * Boundaries one request may read. A surveyed boundary may take a megabyte (`boundaries.ts`), and
 * the cost limit counts a scalar once: `children { children { boundary } }` would have put every
 * county's outline into one answer, past this process's heap and the gateway's.
 */
export const MAX_BOUNDARIES_PER_REQUEST = 10;

/**
 * Each call's context, all of them counting boundaries against one allowance per gateway request
 * (`BoundaryAllowance`).
 */
export function geoContexts(allowance = new BoundaryAllowance(MAX_BOUNDARIES_PER_REQUEST)) {
  let calls = 0;
  return (db: Knex, caller?: InternalCaller) => {
    // Without the gateway's request id, the call is its own request.
    const request = caller?.requestId ? [caller.consumer, caller.subject ?? '', caller.requestId].join('\u0000') : `call\u0000${++calls}`;
    return { ...createContext(db), takeBoundary: () => allowance.take(request) };
  };
}

function createContext(db: Knex) {
  const store = createGeoStore(db);
  // A county's outline may be a megabyte, where it came from a few words: one statement a plan step.
  const outlines = stepLoaders({ wide: store.boundariesByCodes, narrow: store.boundarySourcesByCodes }, (b) => b.code);
  return {
    store,
    boundaries: outlines.wide,
    boundarySources: outlines.narrow,
    divisions: rowLoader(store.divisionsByCodes, (d) => d.code),
    childrenOf: groupLoader(store.divisionsByParents, (d) => d.parentCode ?? ''),
    // Every divisionAt of a request (aliases, a batch of points) in one statement.
    countiesAt: new DataLoader<readonly [number, number], AdministrativeDivision | null, string>(store.countiesAt, { cacheKeyFn: ([x, y]) => `${x},${y}` }),
    parcels: rowLoader(store.parcelsByCodes, (p) => p.parcelCode),
  };
}
type Context = ReturnType<ReturnType<typeof geoContexts>>;

export const resolvers = {
  GeoJSON: GeoJSONScalar,
  Query: {
    administrativeDivision: (_: unknown, args: { code: string }, { divisions }: Context) =>
      divisions.load(validArgument('code', checkDivisionCode(args.code))),

    divisionAt: (_: unknown, args: { longitude: number; latitude: number }, { countiesAt }: Context) => {
      if (!(Math.abs(args.longitude) <= 180)) throw badUserInput(`longitude must lie in [-180, 180], not ${args.longitude}`);
      if (!(Math.abs(args.latitude) <= 90)) throw badUserInput(`latitude must lie in [-90, 90], not ${args.latitude}`);
      return countiesAt.load([args.longitude, args.latitude]);
    },

    landParcel: (_: unknown, args: { parcelCode: string }, { parcels }: Context) =>
      parcels.load(validArgument('parcelCode', checkParcelCode(args.parcelCode))),
  },
  AdministrativeDivision: {
    __resolveReference: (ref: { code: string }, { divisions }: Context) => divisions.load(ref.code),
    parent: (d: AdministrativeDivision, _: unknown, { divisions }: Context) => (d.parentCode ? divisions.load(d.parentCode) : null),
    children: (d: AdministrativeDivision, _: unknown, { childrenOf }: Context) => childrenOf.load(d.code),
    boundary: async (d: AdministrativeDivision, _: unknown, ctx: Context) => {
      if (d.level !== 'COUNTY') return null;
      if (!ctx.takeBoundary()) {
        throw new GraphQLError(`boundary is served for at most ${MAX_BOUNDARIES_PER_REQUEST} divisions a request (a surveyed one may be a megabyte): ask for the others in another`, {
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'maxBoundaries', max: MAX_BOUNDARIES_PER_REQUEST },
        });
      }
      return (await ctx.boundaries.load(d.code))?.boundary ?? null;
    },
    // A county found by divisionAt carries its source as just read; one from the register, fresh.
    boundarySource: async (d: AdministrativeDivision, _: unknown, { boundarySources }: Context) =>
      d.level === 'COUNTY' && d.boundary === undefined ? (await boundarySources.load(d.code))?.boundarySource ?? null : d.boundarySource,
    fullName: async (d: AdministrativeDivision, _: unknown, { divisions }: Context) => {
      let name = d.name;
      for (let up = d.parentCode; up; ) {
        const parent = await divisions.load(up);
        if (!parent) break;
        name = parent.name + name;
        up = parent.parentCode;
      }
      return name;
    },
  },
  LandParcel: {
    __resolveReference: (ref: { parcelCode: string }, { parcels }: Context) => parcels.load(ref.parcelCode),
    division: (p: LandParcel, _: unknown, { divisions }: Context) => divisions.load(p.divisionCode),
  },
} as GraphQLResolverMap<Context>;
