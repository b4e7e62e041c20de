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
 * whatever the headers editor adds (so a header typed there wins, whatever its case). A purpose
 * typed there in Chinese is percent-encoded like the page's own; any other header a browser cannot
 * send is refused with an answer saying which, instead of a failed fetch.
 */
export function createFetcher(credentials: () => Credentials): Fetcher {
  // The wire's errors are plain objects, not GraphQLError instances; GraphiQL only prints them.
  return (params, options) => {
    const typed = editorHeaders(options?.headers);
    const unsendable = Object.keys(typed).filter((name) => !SENDABLE.test(typed[name]));
    if (unsendable.length > 0) return Promise.resolve(unsendableHeaders(unsendable)) as unknown as ReturnType<Fetcher>;
    return postGraphQL(params, { ...credentialHeaders(credentials()), ...typed }) as unknown as ReturnType<Fetcher>;
  };
}

/** What fetch() accepts in a header value: code points up to U+00FF, without NUL, CR or LF. */
const SENDABLE = /^[^\0\r\n\u0100-\uffff]*$/;

function unsendableHeaders(names: string[]): GraphQLResult {
  const list = names.map((n) => `"${n}"`).join(', ');
  return {
    errors: [
      {
        message:
          `Header ${list} holds characters a browser cannot send (only ISO-8859-1 is allowed): percent-encode the value ` +
          `(encodeURIComponent). 请求头 ${list} 含浏览器无法发送的字符，请先进行百分号编码。X-Purpose is encoded for you.`,
        extensions: { code: 'BAD_USER_INPUT', headers: names },
      },
    ],
  };
}

export function request(credentials: Credentials, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> {
  return postGraphQL({ query, variables }, credentialHeaders(credentials));
}

/** The headers editor's headers, names in lower case (so they replace the page's own), X-Purpose encoded. */
function editorHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value == null) continue;
    const key = name.trim().toLowerCase();
    out[key] = key === 'x-purpose' ? purposeHeader(String(value).trim()) : String(value);
  }
  return out;
}
