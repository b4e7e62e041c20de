import { ComponentProps, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { GraphiQL, GraphiQLInterface, GraphiQLProvider } from 'graphiql';
import { useEditorContext, useSchemaContext } from '@graphiql/react';
import { Credentials, createFetcher, normaliseToken, request, statesPurpose, tokenProblem } from './connection';
import { DevConsumer, defaultConsumer, loadDevConsumers, renewalDelay, tokenClaims } from './dev-consumers';
import { Label, Language, initialLanguage, rememberLanguage, translate } from './i18n';
import {
  EMPTY_SAMPLE,
  OPERATIONS,
  PERSON_SAMPLE_QUERY,
  PROJECT_SAMPLE_QUERY,
  ReadyOperation,
  Sample,
  operationName,
  personSampleFrom,
  projectSampleFrom,
  variablesText,
} from './operations';
import { ReportView } from './report-view';
import { SCHEMA_CHECK_MS, checkSchemaIdentity, onSchemaIdentity, schemaFollower } from './schema-identity';

type View = 'playground' | 'catalogue' | 'usage';
/** Where reading the sample keys stands (the keys themselves are kept apart: a failed person read keeps the project's). */
/** `reason` is the gateway's own words; without it the page's default reason is drawn in the current language. */
type SampleStatus = { state: 'loading' | 'ready' | 'person-loading' } | { state: 'failed' | 'person-failed'; reason?: string };

export interface AppProps {
  /** The gateway offers seeded consumers' tokens (dev mode only). */
  devConsumers: boolean;
}

const PASTED = '';

/**
 * Whose purpose a pasted token's requests state: the consumer its subject names, read without
 * checking the token (the gateway checks it); a token that cannot be read has the pasted slot.
 */
function pastedSpeaker(token: string): string {
  const sub = tokenClaims(normaliseToken(token))?.sub;
  return typeof sub === 'string' && sub ? `pasted:${sub}` : PASTED;
}
const PURPOSES_KEY = 'onesource.purposes';
/** GraphiQL's storage, typed without its null (which it takes, and reads as "keep nothing"). */
type GraphiQLStorage = NonNullable<ComponentProps<typeof GraphiQLProvider>['storage']>;

export function App({ devConsumers }: AppProps) {
  // A browser that keeps no site data (a locked-down profile blocks cookies, and with them
  // sessionStorage: reading the property throws) still gets the page, which then keeps nothing.
  const [graphiqlStorage] = useState(tabStorage);
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const t = (label: Label, params?: Record<string, string>) => translate(language, label, params);
  useEffect(() => rememberLanguage(language), [language]);

  // Tokens and purposes stay in this tab's session only. A purpose is stated by a person for one
  // consumer: it starts empty, and is never carried over to another consumer (an auditor's
  // requests must not go out under an approval system's purpose).
  const [consumers, setConsumers] = useState<DevConsumer[] | null>(devConsumers ? null : []);
  const [consumerId, setConsumerId] = useState<string>(() => sessionValue('onesource.consumer') ?? PASTED);
  const [pastedToken, setPastedToken] = useState<string>(() => sessionValue('onesource.token') ?? '');
  const [purposes, setPurposes] = useState<Record<string, string>>(() => sessionRecord(PURPOSES_KEY));
  // Kept by earlier versions in localStorage: a purpose for every consumer, and GraphiQL's tabs,
  // variables and history (the persons looked up).
  useEffect(() => forgetLocal((key) => key === 'onesource.purpose' || key.startsWith('graphiql:')), []);

  // Dev tokens live an hour: the list is asked for again before the first expires.
  const [listRound, setListRound] = useState(0);
  useEffect(() => {
    if (!devConsumers) return;
    let live = true;
    void loadDevConsumers().then((list) => {
      if (!live) return;
      if (list.length === 0 && listRound > 0) {
        // The gateway did not answer a renewal: keep the tokens held, and ask again soon.
        window.setTimeout(() => live && setListRound((r) => r + 1), 30_000);
        return;
      }
      setConsumers(list);
      setConsumerId((current) => {
        if (current && list.some((c) => c.id === current)) return current;
        if (sessionValue('onesource.token')) return PASTED;
        return defaultConsumer(list)?.id ?? PASTED;
      });
    });
    return () => {
      live = false;
    };
  }, [devConsumers, listRound]);
  useEffect(() => {
    const delay = consumers ? renewalDelay(consumers) : null;
    if (delay === null || !consumers) return;
    const renew = () => setListRound((r) => r + 1);
    const timer = window.setTimeout(renew, delay);
    // A laptop that slept past the moment: renew as soon as the page is looked at again.
    const onVisible = () => {
      if (document.visibilityState === 'visible' && (renewalDelay(consumers) ?? Infinity) <= 10_000) renew();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [consumers]);

  const picked = consumers?.find((c) => c.id === consumerId);
  const token = picked ? picked.token : pastedToken;
  const speaker = picked ? picked.id : PASTED;
  // A pasted token states its purpose for the consumer it names: pasting another's starts empty.
  const stating = picked ? picked.id : pastedSpeaker(pastedToken);
  const purpose = purposes[stating] ?? '';
  const setPurpose = useCallback((text: string) => setPurposes((all) => ({ ...all, [stating]: text })), [stating]);
  useEffect(() => storeSession('onesource.consumer', speaker), [speaker]);
  useEffect(() => storeSession('onesource.token', pastedToken), [pastedToken]);
  useEffect(() => storeSession(PURPOSES_KEY, JSON.stringify(purposes)), [purposes]);

  // Read when a request leaves: typing a purpose re-creates nothing. A new token is a new
  // consumer, so GraphiQL gets a new fetcher and introspects again, once the token stops changing
  // (a pasted token arrives keystroke by keystroke when typed).
  const credentials = useRef<Credentials>({ token, purpose });
  credentials.current = { token, purpose };
  const currentCredentials = useCallback(() => credentials.current, []);
  const settledPastedToken = useSettled(pastedToken, 400);
  const settledToken = picked ? picked.token : settledPastedToken;
  const fetcher = useMemo(() => createFetcher(currentCredentials), [settledToken, currentCredentials]);
  const ready = consumers !== null;

  // A project's keys for the ready-made operations, read through the gateway as the current
  // consumer (again with a new token, until one answers). No personal data: see Sample.
  const [sample, setSample] = useState<Sample>(EMPTY_SAMPLE);
  const [sampleStatus, setSampleStatus] = useState<SampleStatus>({ state: 'loading' });
  const haveSample = sample.projectCode !== '';
  /**
   * Reads the project's keys as the current consumer: the sample read, or the empty one when the
   * read failed (the status then says why). Read when the page opens and with each new token until
   * one answers, and again when a ready-made operation is opened without a sample (a department
   * down when the page opened may be back), whose answer, if it comes, replaces the failure shown.
   */
  const readSample = useCallback(
    async (live: () => boolean = () => true): Promise<Sample> => {
      setSampleStatus({ state: 'loading' });
      try {
        const answer = await request(currentCredentials(), PROJECT_SAMPLE_QUERY);
        if (!live()) return EMPTY_SAMPLE;
        const found = projectSampleFrom(answer.data);
        if (!found) {
          setSampleStatus({ state: 'failed', reason: answer.errors?.[0]?.message });
          return EMPTY_SAMPLE;
        }
        const read = { ...EMPTY_SAMPLE, ...found };
        setSample(read);
        setSampleStatus({ state: 'ready' });
        return read;
      } catch (e) {
        if (live()) setSampleStatus({ state: 'failed', reason: (e as Error).message });
        return EMPTY_SAMPLE;
      }
    },
    [currentCredentials],
  );
  useEffect(() => {
    if (!ready || haveSample) return;
    let live = true;
    void readSample(() => live);
    return () => {
      live = false;
    };
  }, [ready, settledToken, haveSample, readSample]);

  const review = OPERATIONS[0];
  const defaultTabs = useMemo(() => [{ query: review.query, variables: variablesText(review, EMPTY_SAMPLE) }], [review]);

  // GraphiQL starts once the consumer is known: its first introspection already carries the token.
  if (!ready) return <div className="os-starting">OneSource 一数一源 · {t('loading')}</div>;

  return (
    // GraphiQL keeps its tabs, variables and history in this tab's session, as the tokens and
    // purposes are: variables name persons (an idNumber to look up, a name to verify), which must
    // not outlive the tab in the browser's localStorage for whoever uses the profile next.
    // Null when the browser keeps no site data: GraphiQL then keeps nothing (undefined would send it to localStorage).
    <GraphiQLProvider fetcher={fetcher} defaultTabs={defaultTabs} defaultQuery={review.query} storage={graphiqlStorage as GraphiQLStorage}>
      <Portal
        language={language}
        setLanguage={setLanguage}
        t={t}
        consumers={consumers ?? []}
        consumerId={picked ? picked.id : PASTED}
        setConsumerId={setConsumerId}
        pastedToken={pastedToken}
        setPastedToken={setPastedToken}
        purpose={purpose}
        setPurpose={setPurpose}
        credentials={currentCredentials}
        token={settledToken}
        sample={sample}
        setSample={setSample}
        readSample={readSample}
        sampleStatus={sampleStatus}
        setSampleStatus={setSampleStatus}
      />
    </GraphiQLProvider>
  );
}

interface PortalProps {
  language: Language;
  setLanguage(language: Language): void;
  t(label: Label, params?: Record<string, string>): string;
  consumers: DevConsumer[];
  consumerId: string;
  setConsumerId(id: string): void;
  pastedToken: string;
  setPastedToken(token: string): void;
  purpose: string;
  setPurpose(purpose: string): void;
  credentials(): Credentials;
  token: string;
  sample: Sample;
  setSample(sample: Sample): void;
  /** Reads the sample again (none is held): what was read, or the empty sample. */
  readSample(): Promise<Sample>;
  sampleStatus: SampleStatus;
  setSampleStatus(status: SampleStatus): void;
}

function Portal(props: PortalProps) {
  const { language, setLanguage, t, consumers, consumerId, sample, setSample, readSample, sampleStatus, setSampleStatus, credentials, token } = props;
  const [view, setView] = useState<View>('playground');
  const editors = useEditorContext({ nonNull: true });
  const [activeOperation, setActiveOperation] = useState<ReadyOperation['id'] | null>(null);
  const tokenTrouble = consumerId === PASTED ? tokenProblem(props.pastedToken) : undefined;
  useFollowedSchema();

  /**
   * An operation about a person needs one: the first time, the project's representative is read,
   * as this consumer and under the purpose stated now (so the read is in the audit trail as theirs).
   */
  const withPerson = async (values: Sample): Promise<Sample> => {
    if (values.idNumber || !values.projectCode) return values;
    setSampleStatus({ state: 'person-loading' });
    try {
      const answer = await request(credentials(), PERSON_SAMPLE_QUERY, { projectCode: values.projectCode });
      const person = personSampleFrom(answer.data);
      if (!person) {
        setSampleStatus({ state: 'person-failed', reason: answer.errors?.[0]?.message });
        return values;
      }
      const found = { ...values, ...person };
      setSample(found);
      setSampleStatus({ state: 'ready' });
      return found;
    } catch (e) {
      setSampleStatus({ state: 'person-failed', reason: (e as Error).message });
      return values;
    }
  };

  /** Opens a ready-made operation: its own tab if it has one, else this tab when untouched, else a new tab. */
  const openOperation = async (operation: ReadyOperation, known: Sample) => {
    const { queryEditor, variableEditor } = editors;
    if (!queryEditor || !variableEditor) return;
    // No sample held (its read failed): read it again, rather than open with empty variables for good.
    const held = known.projectCode ? known : await readSample();
    const values = operation.aboutAPerson ? await withPerson(held) : held;
    const variables = variablesText(operation, values);
    const fill = () => {
      if (queryEditor.getValue().trim() !== operation.query.trim()) queryEditor.setValue(operation.query);
      variableEditor.setValue(variables);
      // GraphiQL learns the operation's name 100 ms after an edit; a quick Run must not send the last one.
      const name = operationName(operation);
      if (name) editors.setOperationName(name);
    };
    const index = editors.tabs.findIndex((tab) => (tab.query ?? '').trim() === operation.query.trim());
    const current = queryEditor.getValue().trim();
    const untouched = current === '' || OPERATIONS.some((o) => o.query.trim() === current);
    if (index === editors.activeTabIndex || (index < 0 && untouched)) fill();
    else {
      if (index >= 0) editors.changeTab(index);
      else editors.addTab();
      // The tab switch replaces the editors' contents when React applies it: fill after that.
      window.setTimeout(fill, 0);
    }
    setActiveOperation(operation.id);
    setView('playground');
  };

  // When the sample arrives, the review opened by default gets its variables.
  const filled = useRef(false);
  useEffect(() => {
    if (filled.current || !sample.projectCode || !editors.queryEditor || !editors.variableEditor) return;
    filled.current = true;
    const current = editors.queryEditor.getValue().trim();
    const operation = OPERATIONS.find((o) => o.query.trim() === current);
    if (!operation) return;
    const placeholder = variablesText(operation, EMPTY_SAMPLE);
    const variables = editors.variableEditor.getValue().trim();
    if (variables === '' || variables === placeholder) {
      editors.variableEditor.setValue(variablesText(operation, sample));
      setActiveOperation(operation.id);
    }
  }, [sample, editors.queryEditor, editors.variableEditor]);

  // CodeMirror measures nothing while hidden: refresh the editors when the playground shows again.
  useEffect(() => {
    if (view !== 'playground') return;
    for (const editor of [editors.queryEditor, editors.variableEditor, editors.headerEditor, editors.responseEditor]) editor?.refresh();
  }, [view]);

  return (
    <div className="os-portal">
      <header className="os-header">
        <div className="os-brand">
          <strong>OneSource 一数一源</strong>
          <span>{t('title')}</span>
        </div>
        <nav className="os-views" aria-label="views">
          {(['playground', 'catalogue', 'usage'] as const).map((v) => (
            <button key={v} type="button" className={view === v ? 'active' : ''} data-view={v} onClick={() => setView(v)}>
              {t(v === 'playground' ? 'viewPlayground' : v === 'catalogue' ? 'viewCatalogue' : 'viewUsage')}
            </button>
          ))}
        </nav>
        <div className="os-credentials">
          {consumers.length > 0 && (
            <label>
              <span>{t('consumer')}</span>
              <select data-testid="consumer" value={consumerId} onChange={(e) => props.setConsumerId(e.target.value)}>
                {consumers.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.id} · {c.name}
                    {c.department ? ` (${c.department})` : ''}
                  </option>
                ))}
                <option value={PASTED}>{t('consumerPasted')}</option>
              </select>
            </label>
          )}
          {consumerId === PASTED && (
            <label>
              <span>{t('token')}</span>
              <input
                data-testid="token"
                type="password"
                autoComplete="off"
                spellCheck={false}
                placeholder={t('tokenPlaceholder')}
                className={tokenTrouble ? 'os-missing' : ''}
                title={tokenTrouble}
                value={props.pastedToken}
                onChange={(e) => props.setPastedToken(e.target.value)}
              />
            </label>
          )}
          <label>
            <span>{t('purpose')}</span>
            <input
              data-testid="purpose"
              type="text"
              placeholder={t('purposePlaceholder')}
              title={t('purposeHint')}
              // Outlined while the gateway would take it as no purpose (fewer than two letters: "x", "1", "-").
              className={statesPurpose(props.purpose) ? '' : 'os-missing'}
              value={props.purpose}
              onChange={(e) => props.setPurpose(e.target.value)}
            />
          </label>
        </div>
        <div className="os-language" role="group" aria-label="language">
          <button type="button" className={language === 'zh' ? 'active' : ''} lang="zh-CN" onClick={() => setLanguage('zh')}>
            中文
          </button>
          <button type="button" className={language === 'en' ? 'active' : ''} lang="en" onClick={() => setLanguage('en')}>
            English
          </button>
        </div>
      </header>

      <div className="os-operations" hidden={view !== 'playground'}>
        <span className="os-operations-title">{t('operations')}</span>
        {OPERATIONS.map((operation) => (
          <button
            key={operation.id}
            type="button"
            data-operation={operation.id}
            className={activeOperation === operation.id ? 'active' : ''}
            title={t(operation.hint)}
            onClick={() => void openOperation(operation, sample)}
          >
            {t(operation.label)}
          </button>
        ))}
        <span className="os-sample" data-testid="sample" data-state={sampleStatus.state}>
          {sampleStatus.state === 'loading' && t('sampleLoading')}
          {sampleStatus.state === 'person-loading' && t('personLoading')}
          {sampleStatus.state === 'ready' && `${t('sampleFrom')}: ${sample.projectCode}`}
          {sampleStatus.state === 'failed' && `${t('sampleFailed')} (${sampleStatus.reason ?? t('noProject')})`}
          {sampleStatus.state === 'person-failed' && `${t('personFailed')} (${sampleStatus.reason ?? t('noPerson')})`}
        </span>
      </div>

      <main className="os-main">
        <div className="os-playground" hidden={view !== 'playground'}>
          <GraphiQLInterface defaultEditorToolsVisibility="variables" isHeadersEditorEnabled>
            <GraphiQL.Logo>
              <span title={t('offline')}>OneSource</span>
            </GraphiQL.Logo>
          </GraphiQLInterface>
        </div>
        {view === 'catalogue' && <ReportView field="catalog" intro={t('catalogueIntro')} credentials={credentials} token={token} t={t} language={language} />}
        {view === 'usage' && <ReportView field="usageReport" intro={t('usageIntro')} credentials={credentials} token={token} t={t} language={language} charts />}
      </main>
    </div>
  );
}

/**
 * GraphiQL's schema follows the gateway's: introspected again when an answer names another schema
 * than the one held (schema-identity.ts). A visible page that asks nothing itself asks which
 * schema is served every few seconds, and at once when it is looked at again.
 */
function useFollowedSchema(): void {
  const { introspect } = useSchemaContext({ nonNull: true });
  // GraphiQL's introspect changes with the fetcher (a new token): the current one is called.
  const current = useRef(introspect);
  current.current = introspect;
  useEffect(() => {
    const stop = onSchemaIdentity(schemaFollower(() => current.current()));
    const check = () => {
      if (document.visibilityState === 'visible') void checkSchemaIdentity();
    };
    const timer = window.setInterval(check, SCHEMA_CHECK_MS);
    document.addEventListener('visibilitychange', check);
    window.addEventListener('focus', check);
    return () => {
      stop();
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', check);
      window.removeEventListener('focus', check);
    };
  }, []);
}

/** The value once it has stayed the same for `ms`. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (Object.is(value, settled)) return;
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, settled, ms]);
  return settled;
}

/** This tab's sessionStorage for GraphiQL, or null when the browser refuses the page site storage. */
function tabStorage(): Storage | null {
  try {
    const storage = window.sessionStorage;
    storage.getItem('graphiql:probe');
    return storage;
  } catch {
    return null;
  }
}

function sessionValue(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function sessionRecord(key: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(sessionValue(key) ?? '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function storeSession(key: string, value: string): void {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // not kept across reloads: harmless
  }
}

function forgetLocal(kept: (key: string) => boolean): void {
  try {
    for (const key of Object.keys(localStorage)) if (kept(key)) localStorage.removeItem(key);
  } catch {
    // storage disabled: nothing kept
  }
}
