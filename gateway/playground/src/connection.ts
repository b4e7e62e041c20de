import type { GraphiQLProps } from 'graphiql';
import { INTROSPECTION_OPERATION, noticeSchemaIdentity } from './schema-identity';

/** Who the page speaks as: sent with every request, GraphiQL's included. */
export interface Credentials {
  token: string;
  purpose: string;
}

export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export interface GraphQLResult {
  data?: any;
  errors?: GraphQLError[];
}

/** The gateway that served this page: the only host the page ever talks to. */
export const GRAPHQL_PATH = '/graphql';

/** Half of a surrogate pair alone (typed or pasted badly): no character, and encodeURIComponent throws on one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Browsers refuse header values outside ISO-8859-1, and purposes are written in Chinese: such a
 * purpose travels percent-encoded (UTF-8), which the gateway decodes.
 */
export function purposeHeader(purpose: string): string {
  const whole = purpose.replace(LONE_SURROGATE, '\ufffd');
  return /^[\x20-\x7e]*$/.test(whole) ? whole : encodeURIComponent(whole);
}

/**
 * The gateway's rule for a stated purpose, mirrored: gateway/purpose.ts (`purposeOf`, then
 * `statedPurpose` and `inWords`), which the page cannot import (it pulls in the audit trail's
 * store code). The header as the page sends it (`purposeHeader`) is percent-decoded when it can
 * be; control, format and default-ignorable characters are dropped; what is left is trimmed and
 * kept to PURPOSE_MAX characters (gateway/audit/trail.ts); and it states a purpose only with at
 * least two letters, in any script ("审批" does, "x", "1234" and "-" do not). Change both together.
 */
const PURPOSE_MAX = 500;
const PURPOSE_MIN_LETTERS = 2;
const SAYS_NOTHING = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

export function statesPurpose(purpose: string): boolean {
  const trimmed = purpose.trim();
  if (!trimmed) return false;
  let text = purposeHeader(trimmed);
  try {
    text = decodeURIComponent(text);
  } catch {
    // not percent-encoded: the gateway takes it as it is
  }
  const kept = Array.from(text.replace(SAYS_NOTHING, '').trim()).slice(0, PURPOSE_MAX).join('');
  return (kept.match(/\p{L}/gu)?.length ?? 0) >= PURPOSE_MIN_LETTERS;
}

/**
 * What a pasted token leaves out besides spaces and line breaks (a token copied across lines):
 * control characters, and format characters that show nothing (a zero-width space or joiner, a
 * byte-order mark, a direction mark: chat apps and word processors slip them in).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;

export function normaliseToken(token: string): string {
  return token.replace(INVISIBLE, '').trim().replace(/^Bearer\s+/i, '').replace(/\s+/g, '');
}

/**
 * Why a pasted token cannot be sent, or undefined when it can: a character a header cannot carry
 * (outside ISO-8859-1) is left once the invisible ones are dropped, and no token holds one. Named
 * as pasted (its position counts every character of the field), bilingual like the page's other
 * refusals.
 */
export function tokenProblem(token: string): string | undefined {
  const characters = Array.from(token);
  // Past what normaliseToken drops (spaces, control and format characters, some beyond U+00FF).
  const at = characters.findIndex((c) => c.codePointAt(0)! > 0xff && !/^[\s\p{Cc}\p{Cf}]$/u.test(c));
  if (at < 0) return undefined;
  const c = characters[at];
  const where = `"${c}" U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return (
    `The token holds characters that are not part of a token (${where} at character ${at + 1}): paste it again as it was issued ` +
    `(npm run token -- <consumerId>). 令牌含有不属于令牌的字符（第 ${at + 1} 个字符 ${where}），请重新粘贴签发的原始令牌。`
  );
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
  // Which schema answered: a new one has GraphiQL introspect again (schema-identity.ts).
  noticeSchemaIdentity(res.headers, body.operationName === INTROSPECTION_OPERATION);
  const text = await res.text();
  try {
    return JSON.parse(text) as GraphQLResult;
  } catch {
    return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}`, extensions: { code: `HTTP_${res.status}` } }] };
  }
}

export type Fetcher = GraphiQLProps['fetcher'];

/**
 * GraphiQL's fetcher: the page's token and purpose as they are when a request leaves, with
 * whatever else the headers editor adds. Who asks and why is the page's to say, in its consumer
 * picker, token and purpose fields: a purpose is stated for one consumer, and an Authorization or
 * X-Purpose typed in the editor would go out for whichever consumer is picked next, so such a
 * request is refused, naming the header, as is one with a header a browser cannot send (a name
 * outside the HTTP token grammar, a name the browser forbids and would drop unsaid, a value
 * outside ISO-8859-1) and one whose pasted token holds characters no token has. Nothing leaves
 * then: the answer says what to change.
 */
export function createFetcher(credentials: () => Credentials): Fetcher {
  // The wire's errors are plain objects, not GraphQLError instances; GraphiQL only prints them.
  return (params, options) => {
    const current = credentials();
    const typed = typedHeaders(options?.headers);
    const errors = [...credentialErrors(current), ...headerErrors(typed)];
    if (errors.length > 0) return Promise.resolve({ errors }) as unknown as ReturnType<Fetcher>;
    const extra: Record<string, string> = {};
    // Lower case: a header typed there replaces the page's own (content-type, accept), whatever its case.
    for (const [name, value] of typed) extra[name.toLowerCase()] = value;
    return postGraphQL(params, { ...credentialHeaders(current), ...extra }) as unknown as ReturnType<Fetcher>;
  };
}

/** The page's own requests (sample data, reports): refused as GraphiQL's are when the token cannot be sent. */
export function request(credentials: Credentials, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> {
  const errors = credentialErrors(credentials);
  if (errors.length > 0) return Promise.resolve({ errors });
  return postGraphQL({ query, variables }, credentialHeaders(credentials));
}

function credentialErrors({ token }: Credentials): GraphQLError[] {
  const problem = tokenProblem(token);
  return problem ? [{ message: problem, extensions: { code: 'BAD_USER_INPUT', refusedBy: 'playground' } }] : [];
}

/** The headers editor's headers, names trimmed but otherwise as typed (so a refusal names them so). */
function typedHeaders(headers: unknown): [string, string][] {
  // The editor must hold a JSON object; GraphiQL's introspection passes whatever parsed.
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return [];
  return Object.entries(headers as Record<string, unknown>)
    .filter(([, value]) => value != null)
    .map(([name, value]) => [name.trim(), String(value)]);
}

/** RFC 9110's token: what fetch() accepts as a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Header names fetch() drops without a word (the Fetch standard's forbidden request-headers). */
const FORBIDDEN = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
]);
const METHOD_OVERRIDES = new Set(['x-http-method', 'x-http-method-override', 'x-method-override']);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** The page's own: said in its fields, for the consumer picked. */
const THE_PAGES_OWN = new Set(['authorization', 'x-purpose']);

function forbiddenHeader(name: string, value: string): boolean {
  const lower = name.toLowerCase();
  if (FORBIDDEN.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) return true;
  return METHOD_OVERRIDES.has(lower) && value.split(',').some((m) => FORBIDDEN_METHODS.has(m.trim().toUpperCase()));
}

/** What fetch() accepts in a header value: code points up to U+00FF, without NUL, CR or LF. */
const SENDABLE = /^[^\0\r\n\u0100-\uffff]*$/;

/** Why the headers editor's headers cannot go out, one error per kind of trouble, each naming its headers. */
export function headerErrors(headers: [string, string][]): GraphQLError[] {
  const badNames: string[] = [];
  const forbidden: string[] = [];
  const pages: string[] = [];
  const badValues: string[] = [];
  for (const [name, value] of headers) {
    if (!TOKEN.test(name)) badNames.push(name);
    else if (forbiddenHeader(name, value)) forbidden.push(name);
    else if (THE_PAGES_OWN.has(name.toLowerCase())) pages.push(name);
    else if (!SENDABLE.test(value)) badValues.push(name);
  }
  const list = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
  const error = (message: string, names: string[]): GraphQLError => ({ message, extensions: { code: 'BAD_USER_INPUT', refusedBy: 'playground', headers: names } });
  const errors: GraphQLError[] = [];
  if (badNames.length) {
    const l = list(badNames);
    errors.push(
      error(
        `Header name ${l} cannot be sent by a browser: a header name is ASCII letters, digits and ! # $ % & ' * + - . ^ _ \` | ~ only ` +
          `(no spaces, no Chinese). 请求头名称 ${l} 无法由浏览器发送：名称只能由英文字母、数字及 ! # $ % & ' * + - . ^ _ \` | ~ 组成（不能含空格或中文）。`,
        badNames,
      ),
    );
  }
  if (forbidden.length) {
    const l = list(forbidden);
    errors.push(
      error(
        `Header ${l} cannot be sent from a page: the browser sets it itself and would drop it without a word (a forbidden header name). ` +
          `请求头 ${l} 由浏览器自行设置，网页无法发送（浏览器禁止的请求头）。`,
        forbidden,
      ),
    );
  }
  if (pages.length) {
    const l = list(pages);
    errors.push(
      error(
        `Header ${l} in the headers editor is not sent: the consumer is picked (or its token pasted) and the purpose stated in the fields ` +
          `at the top of the page, which keep a purpose to the consumer it was stated for; typed here, it would go out for whichever ` +
          `consumer is picked next. Remove it from the headers editor. 请求头编辑器中的 ${l} 不予发送：调用方（或令牌）与用途请在页面顶部填写，` +
          `用途只随填写时的调用方发送；写在这里则会随之后选择的任何调用方发出。请从请求头编辑器中删除。`,
        pages,
      ),
    );
  }
  if (badValues.length) {
    const l = list(badValues);
    errors.push(
      error(
        `Header ${l} holds characters a browser cannot send (only ISO-8859-1 is allowed): percent-encode the value ` +
          `(encodeURIComponent). 请求头 ${l} 含浏览器无法发送的字符，请先进行百分号编码。`,
        badValues,
      ),
    );
  }
  return errors;
}
