import type { GraphiQLProps } from 'graphiql';

/** Who the page speaks as: sent with every request, GraphiQL's included. */
export interface Credentials {
  token: string;
  purpose: string;
}

export interface GraphQLResult {
  data?: any;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** The gateway that served this page: the only host the page ever talks to. */
export const GRAPHQL_PATH = '/graphql';

/**
 * Browsers refuse header values outside ISO-8859-1, and purposes are written in Chinese: such a
 * purpose travels percent-encoded (UTF-8), which the gateway decodes.
 */
export function purposeHeader(purpose: string): string {
  return /^[\x20-\x7e]*$/.test(purpose) ? purpose : encodeURIComponent(purpose);
}

export function normaliseToken(token: string): string {
  return token.trim().replace(/^Bearer\s+/i, '').replace(/\s+/g, '');
}

export function credentialHeaders({ token, purpose }: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  const bearer = normaliseToken(token);
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (purpose.trim()) headers['x-purpose'] = purposeHeader(purpose.trim());
  return headers;
}

export async function postGraphQL(
  body: { query: string; variables?: unknown; operationName?: string | null },
  headers: Record<string, string>,
): Promise<GraphQLResult> {
  const res = await fetch(GRAPHQL_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  try {
    return JSON.parse(text) as GraphQLResult;
  } catch {
    return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}`, extensions: { code: `HTTP_${res.status}` } }] };
  }
}

export type Fetcher = GraphiQLProps['fetcher'];

/**
 * GraphiQL's fetcher: the page's token and purpose as they are when a request leaves, then
 * whatever the headers editor adds (so a header typed there wins).
 */
export function createFetcher(credentials: () => Credentials): Fetcher {
  // The wire's errors are plain objects, not GraphQLError instances; GraphiQL only prints them.
  return (params, options) =>
    postGraphQL(params, { ...credentialHeaders(credentials()), ...stringHeaders(options?.headers) }) as unknown as ReturnType<Fetcher>;
}

export function request(credentials: Credentials, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> {
  return postGraphQL({ query, variables }, credentialHeaders(credentials));
}

function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value != null) out[name] = String(value);
  return out;
}
