import fc from 'fast-check';
import { getIntrospectionQuery, IntrospectionObjectType, IntrospectionQuery, IntrospectionTypeRef } from 'graphql';
import { describeWithStore, Stack, startStack, StoreKind } from './support/stack';

/**
 * Property-based fuzzing of the running gateway: random queries made of the schema's own field
 * names and arguments mixed with garbage, random variables, random bodies and headers. Whatever
 * arrives, the gateway answers below 500, every error carries a standard code, and no answer
 * shows a stack trace, a file path, SQL or where the departments run.
 *
 * Requests go in concurrent batches (one fast-check run = one batch) so that thousands of cases
 * fit in CI time; fast-check still shrinks a failing batch to the case that fails.
 */
const BATCH = 25;
const RUNS = 80; // 80 batches of 25: 2,000 requests
const SEED = Number(process.env.FUZZ_SEED ?? 20170512);

const STANDARD_CODES = new Set([
  'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN',
  'SUBGRAPH_UNAVAILABLE', 'QUERY_TOO_COMPLEX', 'RATE_LIMITED', 'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST',
]);

/** What must never reach a caller. */
const LEAKS: [string, RegExp][] = [
  ['a stack trace', /\bat (?:async )?[\w$.<>]+ \(|\.(?:ts|js):\d+:\d+/],
  ['a file path', /\/work\/|node_modules|\/tmp\/|\/home\/|[A-Z]:\\\\/],
  ['SQL', /\bselect\b[\s\S]{0,200}\bfrom\b|\binsert into\b|\bER_[A-Z_]+|SQLITE_/i],
  ['an internal address', /127\.0\.0\.1|localhost:\d+|:400[1-5]\b/],
  ['an internal token', /eyJ[\w-]{10,}\.eyJ/],
];

interface Field {
  name: string;
  args: { name: string; type: string }[];
  type: string; // named type
}
type Catalogue = Map<string, Field[]>;

const named = (t: IntrospectionTypeRef): string => ('ofType' in t && t.ofType ? named(t.ofType) : (t as { name: string }).name);
const printed = (t: IntrospectionTypeRef): string =>
  t.kind === 'NON_NULL' ? `${printed(t.ofType)}!` : t.kind === 'LIST' ? `[${printed(t.ofType)}]` : (t as { name: string }).name;

/** Sensible-looking argument values from the seed, and the garbage around them. */
const KEYS = ['350426195905090695', '91350527MA23FLYW0D', '350112', '2019-350112-54-03-000072', '350112200001GB00143W00000000', '11010519491231002X'];
const scalarLiteral = fc.oneof(
  fc.constantFrom(...KEYS).map((k) => JSON.stringify(k)),
  fc.string({ maxLength: 30 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'grapheme', maxLength: 10 }).map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)),
  fc.constantFrom('true', 'false', 'null', 'MATCH', 'APPROVED', '"""block"""', '$id', '$nope', '-0', '1e400', '[]', '{}'),
);
const literal: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarLiteral,
    fc.array(tie('value'), { maxLength: 4 }).map((vs) => `[${vs.join(', ')}]`),
    fc.array(fc.tuple(fc.constantFrom('a', 'first', 'idNumber', 'x'), tie('value')), { maxLength: 3 }).map((es) => `{ ${es.map(([k, v]) => `${k}: ${v}`).join(' ')} }`),
  ),
})).value;

const GARBAGE = ['{', '}', '(', ')', '[', ']', ':', '$', '!', '=', '@', '@include', '@skip(if: true)', '@deprecated', '...', '... on Query', 'fragment F on Query { __typename }',
  '...F', '"', '"""', '#', '\\', '\u0000', '\ufeff', '𝕏', '中文', 'query', 'mutation', 'subscription', '__schema', '__type(name: "Query")', '__typename',
  'null', '1e999', '-', '&', '|', ',', ';'];

/** A value that may well be accepted for an argument of this name and type, by what the seed holds. */
function plausible(arg: { name: string; type: string }): fc.Arbitrary<string> {
  const base = arg.type.replace(/[!\[\]]/g, '');
  const byName: Record<string, string[]> = {
    idNumber: [KEYS[0], KEYS[5]], idNumbers: [`["${KEYS[0]}", "${KEYS[5]}"]`], uscc: [KEYS[1]], usccs: [`["${KEYS[1]}"]`], code: [KEYS[2], '350000'],
    regionCode: [KEYS[2]], projectCode: [KEYS[3]], parcelCode: [KEYS[4]], name: ['黄振坤', 'x'], purpose: ['并联审批'], reason: ['fuzz'],
    resource: ['persons.contact-details', 'credit.records'], consumer: ['drc-approval'], from: ['2020-01-01'], to: ['2030-01-01'], validUntil: ['2030-01-01'],
  };
  const literalOf = (v: string) => (v.startsWith('[') ? v : JSON.stringify(v));
  if (byName[arg.name]) return fc.constantFrom(...byName[arg.name]).map(literalOf);
  if (base === 'Int') return fc.integer({ min: -5, max: 120 }).map(String);
  if (base === 'Float') return fc.double({ min: 115, max: 121, noNaN: true }).map(String);
  if (base === 'Boolean') return fc.constantFrom('true', 'false');
  if (base === 'String' || base === 'ID') return fc.string({ maxLength: 20 }).map((v) => JSON.stringify(v));
  return literal;
}

/** A selection set on `type`, from its real fields, at most `depth` deep (leaves at the bottom). */
function selection(catalogue: Catalogue, type: string, depth: number, clean = false): fc.Arbitrary<string> {
  const all = catalogue.get(type) ?? [];
  const fields = depth <= 1 ? all.filter((f) => !catalogue.has(f.type)) : all;
  if (!fields.length) return fc.constant('__typename');
  const one = fc.constantFrom(...fields).chain((f) =>
    fc.tuple(
      fc.option(fc.constantFrom('a', 'b', 'x1', '_'), { freq: 5 }),
      fc.subarray(f.args.filter((a) => !a.type.endsWith('!'))).chain((optional) => {
        const args = [...f.args.filter((a) => a.type.endsWith('!')), ...optional];
        return fc.tuple(...args.map((a) => (clean ? plausible(a) : fc.oneof({ weight: 6, arbitrary: plausible(a) }, { weight: 1, arbitrary: literal }, { weight: 1, arbitrary: fc.constant(`$${a.name}`) }))))
          .map((values) => (args.length ? `(${args.map((a, i) => `${a.name}: ${values[i]}`).join(', ')})` : ''));
      }),
      catalogue.has(f.type) ? selection(catalogue, f.type, depth - 1, clean) : fc.constant(''),
    ).map(([alias, args, sub]) => [alias, `${f.name}${args}${sub ? ` { ${sub} }` : ''}`] as const),
  );
  // Aliases numbered by position, so that two of them never name different fields alike.
  return fc.array(one, { minLength: 1, maxLength: 4 }).map((s) => s.map(([alias, field], i) => (alias ? `${alias}${i}: ${field}` : field)).join(' '));
}

/** A query of real fields, mostly queries, some mutations and subscriptions. */
function realQuery(catalogue: Catalogue): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom('', 'query ', 'query Q ', 'query Q($id: ID!, $first: Int) ', 'query Q($x: [ID!]!) '), selection(catalogue, 'Query', 4)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('mutation ', 'mutation M '), selection(catalogue, 'Mutation', 3)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('subscription S '), selection(catalogue, 'Query', 2)) },
  ).map(([head, body]) => `${head}{ ${body} }`);
}

/** A query: real fields, then perhaps mangled with garbage, truncated, or plain noise. */
function queryText(catalogue: Catalogue): fc.Arbitrary<string> {
  const real = realQuery(catalogue);
  const mangled = fc.tuple(real, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...GARBAGE)), { minLength: 1, maxLength: 3 })).map(([q, edits]) => {
    let s = q;
    for (const [at, g] of edits) {
      const i = at % (s.length + 1);
      s = `${s.slice(0, i)} ${g} ${s.slice(i)}`;
    }
    return s;
  });
  const truncated = fc.tuple(real, fc.nat()).map(([q, n]) => q.slice(0, n % (q.length + 1)));
  const noise = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.array(fc.constantFrom(...GARBAGE), { maxLength: 30 }).map((g) => g.join(' ')));
  return fc.oneof({ weight: 8, arbitrary: real }, { weight: 3, arbitrary: mangled }, { weight: 1, arbitrary: truncated }, { weight: 2, arbitrary: noise });
}

const variables = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  fc.record({ id: fc.oneof(fc.constantFrom(...KEYS), fc.jsonValue()), first: fc.oneof(fc.integer(), fc.jsonValue()), x: fc.jsonValue() }, { requiredKeys: [] }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

interface Case {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  search?: string;
}

/** Header values a client can actually send (visible ASCII). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

function requests(catalogue: Catalogue, tokens: string[]): fc.Arbitrary<Case> {
  const operationName = fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom('Q', 'S', 'M', 'Nope', '') }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });
  const graphqlBody = fc.record(
    { query: fc.oneof({ weight: 8, arbitrary: queryText(catalogue) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }), variables, operationName, extensions: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }, { weight: 1, arbitrary: fc.constant({ persistedQuery: { version: 1, sha256Hash: 'abc' } }) }) },
    { requiredKeys: ['query'] },
  ).map((b) => JSON.stringify(b));
  const body = fc.oneof(
    { weight: 24, arbitrary: graphqlBody },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 100 }), graphqlBody.chain((b) => fc.nat().map((n) => b.slice(0, n % (b.length + 1))))) },
    { weight: 1, arbitrary: fc.array(graphqlBody, { minLength: 1, maxLength: 3 }).map((bs) => `[${bs.join(',')}]`) },
  );
  const authorization = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...tokens).map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: headerText },
    { weight: 1, arbitrary: headerText.map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: fc.constantFrom(...tokens).map((t) => `Bearer ${t.slice(0, -3)}abc`) },
  );
  const anyHeaders = fc.record(
    {
      'content-type': fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/json') },
        { weight: 2, arbitrary: fc.constantFrom('text/plain', 'application/graphql', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/json; charset=utf-16', '*/*', ';;;') },
        { weight: 1, arbitrary: headerText },
      ),
      authorization,
      'x-purpose': fc.oneof(fc.constant('并联审批'), headerText).map((p) => encodeURIComponent(p)),
      'x-request-id': headerText,
      'apollo-require-preflight': fc.constant('true'),
      accept: fc.constantFrom('application/json', 'text/html', 'multipart/mixed; deferSpec=20220824', '*/*', 'application/graphql-response+json'),
    },
    { requiredKeys: [] },
  ).map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>);
  // Mostly what a real system sends (so that the queries reach the departments), sometimes anything.
  const proper = fc.record({
    'content-type': fc.constant('application/json'),
    authorization: fc.constantFrom(...tokens).map((t) => `Bearer ${t}`),
    'x-purpose': fc.constantFrom('%E5%B9%B6%E8%81%94%E5%AE%A1%E6%89%B9', 'review'),
    'apollo-require-preflight': fc.constant('true'),
  });
  const headers = fc.oneof({ weight: 3, arbitrary: proper }, { weight: 1, arbitrary: anyHeaders });
  const post = fc.record({ method: fc.constant('POST' as const), headers, body });
  const get = fc.record({
    method: fc.constant('GET' as const),
    headers,
    search: fc.record({ query: queryText(catalogue), variables: fc.oneof(variables.map((v) => JSON.stringify(v) ?? ''), fc.string({ maxLength: 20 })), operationName: fc.string({ maxLength: 10 }) }, { requiredKeys: [] })
      .map((p) => new URLSearchParams(Object.entries(p).filter(([, v]) => v !== undefined) as [string, string][]).toString()),
  });
  // What a real system sends, with real fields and plausible arguments: these reach the departments.
  const plausible = fc.record({
    method: fc.constant('POST' as const),
    headers: proper,
    body: fc.record({ query: fc.tuple(fc.constantFrom('', 'query Q '), selection(catalogue, 'Query', 3, true)).map(([head, body]) => `${head}{ ${body} }`), variables: fc.option(fc.record({ id: fc.constantFrom(...KEYS), first: fc.integer({ min: 0, max: 5 }) }), { nil: undefined }) })
      .map((b) => JSON.stringify(b)),
  });
  return fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 4, arbitrary: post }, { weight: 1, arbitrary: get });
}

/** What is wrong with one answer, or null. */
function problemWith(status: number, text: string): string | null {
  if (status >= 500) return `HTTP ${status}`;
  for (const [what, pattern] of LEAKS) if (pattern.test(text)) return `it shows ${what}: ${text.match(pattern)![0]}`;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `the body is not JSON: ${text.slice(0, 80)}`;
  }
  const errors = Array.isArray(body) ? body.flatMap((b: any) => b?.errors ?? []) : body?.errors ?? [];
  for (const e of errors) {
    const code = e?.extensions?.code;
    if (!STANDARD_CODES.has(code)) return `an error with code ${JSON.stringify(code)}: ${String(e?.message).slice(0, 200)}`;
  }
  if (status >= 400 && !errors.length) return `HTTP ${status} without errors`;
  return null;
}

function defineFuzzSuite(store: StoreKind) {
  describeWithStore(store, 'fuzzing the gateway', () => {
    let stack: Stack;
    let catalogue: Catalogue;
    let tokens: string[];

    beforeAll(async () => {
      stack = await startStack({ store, mode: 'in-process', env: { ONESOURCE_LOG_LEVEL: 'fatal', ONESOURCE_REDIS_PREFIX: `onesource-fuzz:${process.pid}:` } });
      const intro = await stack.query<IntrospectionQuery>(getIntrospectionQuery());
      catalogue = new Map();
      for (const t of intro.data!.__schema.types) {
        if (t.kind !== 'OBJECT' || t.name.startsWith('__')) continue;
        catalogue.set(t.name, (t as IntrospectionObjectType).fields.map((f) => ({
          name: f.name,
          args: f.args.map((a) => ({ name: a.name, type: printed(a.type) })),
          type: named(f.type),
        })));
      }
      tokens = await Promise.all(['drc-approval', 'market-portal', 'auditor'].map(async (c) => (await stack.as(c)).authorization.slice('Bearer '.length)));
      tokens.push((await stack.asCitizen(KEYS[0])).authorization.slice('Bearer '.length));
    }, 300_000);
    afterAll(async () => {
      await stack?.stop();
    });

    it(`answers ${BATCH * RUNS} random requests below 500, with standard codes and nothing internal`, async () => {
      let sent = 0;
      let answered = 0; // reached execution and came back with data
      await fc.assert(
        fc.asyncProperty(fc.array(requests(catalogue, tokens), { minLength: BATCH, maxLength: BATCH }), async (cases) => {
          const answers = await Promise.all(cases.map(async (c) => {
            const res = await fetch(`${stack.gatewayUrl}${c.search ? `?${c.search}` : ''}`, { method: c.method, headers: c.headers, body: c.body });
            return { c, status: res.status, text: await res.text() };
          }));
          sent += answers.length;
          answered += answers.filter((a) => a.status === 200 && /"data":\{"[^"]+":[^n]/.test(a.text)).length;
          const bad = answers.map((a) => ({ ...a, problem: problemWith(a.status, a.text) })).filter((a) => a.problem);
          if (bad.length) throw new Error(`${bad[0].problem}\nrequest: ${JSON.stringify(bad[0].c).slice(0, 2000)}\nanswer: ${bad[0].status} ${bad[0].text.slice(0, 500)}`);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: false, interruptAfterTimeLimit: 100_000 },
      );
      expect(sent).toBeGreaterThanOrEqual(BATCH * RUNS);
      // The fuzzing reaches the departments, not only the front door.
      expect(answered).toBeGreaterThan(sent / 10);
      // Still answering after all of it.
      expect((await stack.query('{ __typename }')).data).toEqual({ __typename: 'Query' });
    }, 180_000);
  });
}

defineFuzzSuite('sqlite');
defineFuzzSuite('mysql');
