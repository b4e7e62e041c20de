import { useEffect, useMemo, useState } from 'react';
import { useSchemaContext } from '@graphiql/react';
import {
  GraphQLOutputType,
  GraphQLSchema,
  GraphQLArgument,
  getNamedType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { Credentials, GraphQLResult, request } from './connection';
import { Label, Language, reportFieldLabel, reportValueLabel } from './i18n';

/**
 * A read-only view of one root query (the catalogue, the usage report). Their shapes belong to the
 * gateway, so the view asks for every leaf the schema offers and lays the answer out as tables
 * (and bars, for counts); when the gateway has no such query, or it fails, the view says so.
 */
export interface ReportViewProps {
  field: string;
  intro: string;
  credentials(): Credentials;
  /** The consumer's token: a new one asks again (whether it may read each item differs). */
  token: string;
  t(label: Label, params?: Record<string, string>): string;
  language: Language;
  charts?: boolean;
}

/** Why a report is unavailable: a label of ours (translated when drawn, so a language switch asks nothing again) and the gateway's own words. */
/** `empty`: the arguments to fill in, named when drawn too. */
type Reason = { label?: Label; empty?: string[]; details?: string[] };
type Answer = { state: 'loading' } | { state: 'unavailable'; reason: Reason } | { state: 'ready'; data: unknown; errors: string[] };

export function ReportView({ field, intro, credentials, token, t, language, charts = false }: ReportViewProps) {
  const { schema, isFetching, fetchError, introspect } = useSchemaContext({ nonNull: true });
  const [answer, setAnswer] = useState<Answer>({ state: 'loading' });
  const [round, setRound] = useState(0);
  // A report that cannot be asked without arguments (usageReport's from and to) gets an input per
  // argument, dates starting at the last 30 days.
  const required = useMemo(() => (schema ? requiredArguments(schema, field) : []), [schema, field]);
  const [values, setValues] = useState<Record<string, string>>({});
  const filled = useMemo(() => ({ ...startingValues(required), ...values }), [required, values]);
  // Why no schema could be read; with one held, a failed read again asks nothing of the report.
  const schemaError = schema ? null : fetchError;

  useEffect(() => {
    if (!schema) {
      // Why the schema could not be read is the gateway's to say (a rate limit, a department down, a
      // token refused), as GraphiQL received it; until it has answered, the view is loading.
      setAnswer(schemaError && !isFetching ? { state: 'unavailable', reason: schemaFailure(schemaError) } : { state: 'loading' });
      return;
    }
    // An input left empty (a date cleared) is the caller's to fill, not a query the gateway lacks.
    const empty = required.filter((a) => !filled[a.name]).map((a) => a.name);
    if (empty.length) {
      setAnswer({ state: 'unavailable', reason: { label: 'fillArguments', empty } });
      return;
    }
    const query = reportQuery(schema, field, filled);
    if (!query) {
      setAnswer({ state: 'unavailable', reason: { label: 'notAvailableYet' } });
      return;
    }
    let live = true;
    setAnswer({ state: 'loading' });
    request(credentials(), query)
      .then((result: GraphQLResult) => {
        if (!live) return;
        const data = result.data?.[field];
        const errors = (result.errors ?? []).map((e) => `${(e.extensions?.code as string) ?? 'ERROR'}: ${e.message}`);
        const unauthenticated = result.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
        const reason: Reason = errors.length ? { label: unauthenticated ? 'unauthenticated' : undefined, details: errors } : { label: 'noAnswer' };
        setAnswer(data == null ? { state: 'unavailable', reason } : { state: 'ready', data, errors });
      })
      .catch((e: Error) => live && setAnswer({ state: 'unavailable', reason: { details: [e.message] } }));
    return () => {
      live = false;
    };
  }, [schema, isFetching, schemaError, field, credentials, token, round, filled, required]);

  // Without a schema there is nothing to ask the report with: Reload reads the schema again (its
  // answer then asks for the report); with one, it asks for the report again, and for the schema
  // too when reading it last failed (a stale one, another consumer's, may be held).
  const reload = () => {
    if (!schema || fetchError) introspect();
    if (schema) setRound((r) => r + 1);
  };

  return (
    <section className="os-report" data-report={field} data-state={answer.state}>
      <header>
        <p>{intro}</p>
        {required.map((a) => (
          <label key={a.name} className="os-argument">
            <FieldName name={a.name} language={language} />{' '}
            <input
              type={getNamedType(a.type).name === 'Date' ? 'date' : 'text'}
              data-argument={a.name}
              value={filled[a.name] ?? ''}
              onChange={(e) => setValues((v) => ({ ...v, [a.name]: e.target.value }))}
            />
          </label>
        ))}
        <button type="button" data-testid="reload" onClick={reload}>
          {t('reload')}
        </button>
      </header>
      {answer.state === 'loading' && <p>{t('loading')}</p>}
      {answer.state === 'unavailable' && (
        <div className="os-unavailable">
          <strong>{t('notAvailable')}</strong>
          <p>{[answer.reason.label && t(answer.reason.label, { field, arguments: namesOf(answer.reason.empty ?? [], language) }), ...(answer.reason.details ?? [])].filter(Boolean).join(' · ')}</p>
        </div>
      )}
      {answer.state === 'ready' && (
        <>
          {answer.errors.length > 0 && (
            <ul className="os-errors">
              {answer.errors.map((e, i) => (
                <li key={i}>{e}</li>
              ))}
            </ul>
          )}
          <DataView value={answer.data} charts={charts} words={{ language, empty: t('noRows') }} />
        </>
      )}
    </section>
  );
}

const MAX_DEPTH = 4;

/**
 * GraphiQL's account of a failed introspection, in the gateway's words: the answer's errors as
 * `CODE: message` (GraphiQL keeps the answer as JSON text), or its own text when there was no
 * answer (the gateway could not be reached).
 */
function schemaFailure(fetchError: string): Reason {
  let errors: { message?: unknown; extensions?: { code?: unknown } }[] | undefined;
  try {
    const parsed: unknown = JSON.parse(fetchError);
    const list = (parsed as { errors?: unknown })?.errors;
    if (Array.isArray(list) && list.length > 0) errors = list;
  } catch {
    // not JSON: GraphiQL's own words
  }
  if (!errors) return { label: 'noSchema', details: [fetchError] };
  const details = errors.map((e) => `${typeof e?.extensions?.code === 'string' ? e.extensions.code : 'ERROR'}: ${typeof e?.message === 'string' ? e.message : JSON.stringify(e)}`);
  const unauthenticated = errors.some((e) => e?.extensions?.code === 'UNAUTHENTICATED');
  return { label: unauthenticated ? 'unauthenticated' : 'noSchema', details };
}

/** Argument names as the inputs' labels show them. */
function namesOf(names: string[], language: Language): string {
  return names.map((n) => reportFieldLabel(language, n) ?? n).join(language === 'zh' ? '、' : ', ');
}

/** The arguments a root field cannot be asked without. */
export function requiredArguments(schema: GraphQLSchema, field: string): readonly GraphQLArgument[] {
  return schema.getQueryType()?.getFields()[field]?.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined) ?? [];
}

/** Dates start at the last 30 days: the first date argument 30 days ago, the others today. */
function startingValues(args: readonly GraphQLArgument[]): Record<string, string> {
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const dates = args.filter((a) => getNamedType(a.type).name === 'Date');
  return Object.fromEntries(dates.map((a, i) => [a.name, day(i === 0 ? 30 : 0)]));
}

/** A value typed into an input, as a GraphQL literal of the argument's type. */
function literal(arg: GraphQLArgument, value: string): string {
  const type = getNamedType(arg.type).name;
  return (type === 'Int' || type === 'Float' || type === 'Boolean') && value.trim() !== '' ? value.trim() : JSON.stringify(value);
}

/**
 * `{ field(required arguments) { every leaf, nested objects up to a few levels } }`, or null when
 * it cannot be asked (a required argument has no value yet).
 */
export function reportQuery(schema: GraphQLSchema, field: string, values: Record<string, string> = {}): string | null {
  const root = schema.getQueryType()?.getFields()[field];
  if (!root) return null;
  const args = requiredArguments(schema, field);
  if (args.some((a) => !values[a.name])) return null;
  const selection = selectionFor(root.type, 1);
  if (selection === null) return null;
  const argumentList = args.length ? `(${args.map((a) => `${a.name}: ${literal(a, values[a.name])}`).join(', ')})` : '';
  return `query PortalReport { ${field}${argumentList}${selection ? ` { ${selection} }` : ''} }`;
}

function selectionFor(type: GraphQLOutputType, depth: number): string | null {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (depth > MAX_DEPTH) return null;
  if (!isObjectType(named) && !isInterfaceType(named)) return '__typename';
  const parts: string[] = [];
  for (const f of Object.values(named.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const sub = selectionFor(f.type, depth + 1);
    if (sub === null) continue;
    parts.push(sub === '' ? f.name : `${f.name} { ${sub} }`);
  }
  return parts.length ? parts.join(' ') : null;
}

/** How a view speaks: the language of its headings and values, and what it says for an empty list. */
interface Words {
  language: Language;
  empty: string;
}

/** Columns shown first when a table has them: what a row is, then whether the caller may read it. */
const LEADING_COLUMNS = ['key', 'name', 'coordinate', 'readable', 'shareType'];

/**
 * A value laid out: an object as sections, a list of objects as a table (with bars for counts at
 * the top level only: a list inside a table cell is drawn once, as a small table).
 */
function DataView({ value, charts, words, field = '' }: { value: unknown; charts: boolean; words: Words; field?: string }) {
  if (Array.isArray(value)) {
    if (value.length === 0) return <p className="os-empty">{words.empty}</p>;
    if (value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
      return (
        <>
          {charts && <Bars rows={value as Record<string, unknown>[]} />}
          <Table rows={value as Record<string, unknown>[]} words={words} />
        </>
      );
    }
    return <span>{value.map((v) => cellText(v, field, words.language)).join(', ')}</span>;
  }
  if (value && typeof value === 'object') {
    return (
      <div className="os-sections">
        {Object.entries(value as Record<string, unknown>).map(([key, v]) =>
          v && typeof v === 'object' ? (
            <section key={key}>
              <h3>
                <FieldName name={key} language={words.language} />
              </h3>
              <DataView value={v} charts={charts} words={words} field={key} />
            </section>
          ) : (
            <p key={key}>
              <span className="os-key">
                <FieldName name={key} language={words.language} />
              </span>{' '}
              {cellText(v, key, words.language)}
            </p>
          ),
        )}
      </div>
    );
  }
  return <span>{cellText(value, field, words.language)}</span>;
}

function Table({ rows, words }: { rows: Record<string, unknown>[]; words: Words }) {
  const present = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => c !== '__typename');
  const columns = [...LEADING_COLUMNS.filter((c) => present.includes(c)), ...present.filter((c) => !LEADING_COLUMNS.includes(c))];
  return (
    <table className="os-table">
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>
              <FieldName name={c} language={words.language} />
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>
            {columns.map((c) => (
              <td key={c}>{cell(row[c], c, words)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A table cell: an empty list is a dash like any missing value, a list of objects a small table. */
function cell(value: unknown, field: string, words: Words) {
  if (Array.isArray(value) && value.length === 0) return '—';
  if (value && typeof value === 'object') return <DataView value={value} charts={false} words={words} field={field} />;
  return cellText(value, field, words.language);
}

/** A field's heading: the Chinese term with the GraphQL name beside it, or the name alone. */
function FieldName({ name, language }: { name: string; language: Language }) {
  const label = reportFieldLabel(language, name);
  if (!label) return <>{name}</>;
  return (
    <>
      {label} <code className="os-field-name">{name}</code>
    </>
  );
}

/** Counts as horizontal bars: the first text column labels, the first numeric column measures. */
function Bars({ rows }: { rows: Record<string, unknown>[] }) {
  const keys = Object.keys(rows[0] ?? {});
  const measure = keys.find((k) => rows.every((r) => typeof r[k] === 'number'));
  const labels = keys.filter((k) => rows.every((r) => typeof r[k] === 'string'));
  if (!measure || labels.length === 0) return null;
  const max = Math.max(1, ...rows.map((r) => r[measure] as number));
  return (
    <div className="os-bars" role="img" aria-label={measure}>
      {rows.slice(0, 30).map((r, i) => (
        <div key={i} className="os-bar">
          <span className="os-bar-label">{labels.map((l) => r[l]).join(' · ')}</span>
          <span className="os-bar-track">
            <span className="os-bar-fill" style={{ width: `${((r[measure] as number) / max) * 100}%` }} />
          </span>
          <span className="os-bar-value">{String(r[measure])}</span>
        </div>
      ))}
    </div>
  );
}

function cellText(value: unknown, field: string, language: Language): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? '✓' : '✗';
  return typeof value === 'string' ? reportValueLabel(language, field, value) : String(value);
}
