import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isCalendarDate } from './identifiers';

/** A date of the calendar written YYYY-MM-DD: 2026-02-30 is refused (Date.parse would roll it over to 2026-03-02). */
function parseDate(value: unknown): string {
  if (typeof value !== 'string' || !isCalendarDate(value)) {
    throw new GraphQLError(`A Date is a real calendar date written YYYY-MM-DD, not ${JSON.stringify(value)}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return value;
}

/** `Date`: an ISO calendar date string, the same on SQLite and MySQL (mysql2 runs with dateStrings). */
export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'An ISO 8601 calendar date, YYYY-MM-DD.',
  serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10)),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** `GeoJSON`: a GeoJSON geometry object, stored as JSON text. */
export const GeoJSONScalar = new GraphQLScalarType({
  name: 'GeoJSON',
  description: 'A GeoJSON geometry (RFC 7946), CGCS2000 longitude/latitude.',
  serialize: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
});
