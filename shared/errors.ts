import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Checked } from './identifiers';

/**
 * The error codes of the contract, made in one place. Internal details are logged by the caller,
 * never put into an error that leaves the process.
 */
export function badUserInput(message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...extra } });
}

/** The value of a checked identifier argument, or BAD_USER_INPUT naming the argument and reason. */
export function validArgument(argument: string, checked: Checked): string {
  if (checked.ok) return checked.value;
  throw badUserInput(`Invalid ${argument}: ${checked.reason}`, { argument });
}

/**
 * A department did not answer what had to be asked of it (down, hung, failing): SUBGRAPH_UNAVAILABLE
 * naming it as the gateway's partial answers do (`The geo subgraph (Natural Resources 自然资源) did
 * not answer`), and nothing of its insides.
 */
export function subgraphUnavailable(department: string, description: string, why: string, more: Record<string, string> = {}): GraphQLError {
  return new GraphQLError(`The ${department} subgraph (${description}) ${why}`, { extensions: { code: 'SUBGRAPH_UNAVAILABLE', department, ...more } });
}

/** An operation over one of the gateway's limits (gateway/limits/): HTTP 400, naming the limit and its value. */
export function queryTooComplex(message: string, limit: string, max: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', limit, max, http: { status: 400 } } });
}

/**
 * Personal data withheld because its audit record cannot be written now: the gateway's fault, but
 * one the caller should hear plainly and retry (HTTP 503), not a bare "Internal server error".
 */
export function auditTrailUnavailable(): GraphQLError {
  return new GraphQLError('The audit trail cannot be written now: personal data is withheld. Try again shortly.', {
    extensions: { code: 'INTERNAL_SERVER_ERROR', reason: AUDIT_TRAIL_UNAVAILABLE, http: { status: 503 } },
  });
}
export const AUDIT_TRAIL_UNAVAILABLE = 'AUDIT_TRAIL_UNAVAILABLE';

/** 503: the identity provider's key set did not answer, so no consumer token can be checked now. */
export function identityProviderUnavailable(): GraphQLError {
  return new GraphQLError('Tokens cannot be checked now: the identity provider\'s keys could not be fetched. Try again shortly.', {
    extensions: { code: 'INTERNAL_SERVER_ERROR', reason: IDENTITY_PROVIDER_UNAVAILABLE, http: { status: 503 } },
  });
}
export const IDENTITY_PROVIDER_UNAVAILABLE = 'IDENTITY_PROVIDER_UNAVAILABLE';

/** Our own INTERNAL_SERVER_ERRORs that say why: the caller can do nothing but wait, and is told so. */
const TOLD_REASONS = new Set([AUDIT_TRAIL_UNAVAILABLE, IDENTITY_PROVIDER_UNAVAILABLE]);

const PUBLIC_CODES = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'SUBGRAPH_UNAVAILABLE',
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/**
 * Apollo Server `formatError`: errors with a public code pass as they are (minus any stack), as
 * do the refusals that say why (`TOLD_REASONS`); anything else (a SQL failure, a bug) becomes a bare
 * INTERNAL_SERVER_ERROR.
 */
export function formatPublicError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if ((typeof code === 'string' && PUBLIC_CODES.has(code)) || TOLD_REASONS.has(formatted.extensions?.reason as string)) {
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
