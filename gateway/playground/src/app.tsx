import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { GraphiQL, GraphiQLInterface, GraphiQLProvider } from 'graphiql';
import { useEditorContext } from '@graphiql/react';
import { Credentials, createFetcher, request } from './connection';
import { DevConsumer, defaultConsumer, loadDevConsumers } from './dev-consumers';
import { Label, Language, initialLanguage, rememberLanguage, translate } from './i18n';
import { EMPTY_SAMPLE, OPERATIONS, ReadyOperation, SAMPLE_QUERY, Sample, operationName, sampleFrom, variablesText } from './operations';
import { ReportView } from './report-view';

type View = 'playground' | 'catalogue' | 'usage';
type SampleState = { state: 'loading' } | { state: 'ready'; sample: Sample } | { state: 'failed'; reason: string };

export interface AppProps {
  /** The gateway offers seeded consumers' tokens (dev mode only). */
  devConsumers: boolean;
}

const PASTED = '';
const DEFAULT_PURPOSE = '投资项目并联审批';

export function App({ devConsumers }: AppProps) {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const t = (label: Label, params?: Record<string, string>) => translate(language, label, params);
  useEffect(() => rememberLanguage(language), [language]);

  // Tokens stay in this tab's session only; the purpose is remembered.
  const [consumers, setConsumers] = useState<DevConsumer[] | null>(devConsumers ? null : []);
  const [consumerId, setConsumerId] = useState<string>(() => sessionValue('onesource.consumer') ?? PASTED);
  const [pastedToken, setPastedToken] = useState<string>(() => sessionValue('onesource.token') ?? '');
  const [purpose, setPurpose] = useState<string>(() => localValue('onesource.purpose') ?? DEFAULT_PURPOSE);

  useEffect(() => {
    if (!devConsumers) return;
    let live = true;
    void loadDevConsumers().then((list) => {
      if (!live) return;
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
  }, [devConsumers]);

  const picked = consumers?.find((c) => c.id === consumerId);
  const token = picked ? picked.token : pastedToken;
  useEffect(() => storeSession('onesource.consumer', picked ? picked.id : PASTED), [picked]);
  useEffect(() => storeSession('onesource.token', pastedToken), [pastedToken]);
  useEffect(() => storeLocal('onesource.purpose', purpose), [purpose]);

  // Read when a request leaves: typing a purpose re-creates nothing. A new token is a new
  // consumer, so GraphiQL gets a new fetcher and introspects again.
  const credentials = useRef<Credentials>({ token, purpose });
  credentials.current = { token, purpose };
  const currentCredentials = useCallback(() => credentials.current, []);
  const fetcher = useMemo(() => createFetcher(currentCredentials), [token, currentCredentials]);
  const ready = consumers !== null;

  // Seed keys for the ready-made operations, read through the gateway as the current consumer
  // (again with a new token, until one answers).
  const [sample, setSample] = useState<SampleState>({ state: 'loading' });
  const haveSample = sample.state === 'ready';
  useEffect(() => {
    if (!ready || haveSample) return;
    let live = true;
    setSample({ state: 'loading' });
    request(currentCredentials(), SAMPLE_QUERY)
      .then((answer) => {
        if (!live) return;
        const found = sampleFrom(answer.data);
        setSample(found ? { state: 'ready', sample: found } : { state: 'failed', reason: answer.errors?.[0]?.message ?? 'no project' });
      })
      .catch((e: Error) => live && setSample({ state: 'failed', reason: e.message }));
    return () => {
      live = false;
    };
  }, [ready, token, haveSample, currentCredentials]);

  const review = OPERATIONS[0];
  const defaultTabs = useMemo(() => [{ query: review.query, variables: variablesText(review, EMPTY_SAMPLE) }], [review]);

  // GraphiQL starts once the consumer is known: its first introspection already carries the token.
  if (!ready) return <div className="os-starting">OneSource 一数一源 · {t('loading')}</div>;

  return (
    <GraphiQLProvider fetcher={fetcher} defaultTabs={defaultTabs} defaultQuery={review.query}>
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
        token={token}
        sample={sample}
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
  sample: SampleState;
}

function Portal(props: PortalProps) {
  const { language, setLanguage, t, consumers, consumerId, sample, credentials, token } = props;
  const [view, setView] = useState<View>('playground');
  const editors = useEditorContext({ nonNull: true });
  const [activeOperation, setActiveOperation] = useState<ReadyOperation['id'] | null>(null);

  const currentSample = sample.state === 'ready' ? sample.sample : EMPTY_SAMPLE;

  /** Opens a ready-made operation: its own tab if it has one, else this tab when untouched, else a new tab. */
  const openOperation = (operation: ReadyOperation, values: Sample) => {
    const { queryEditor, variableEditor } = editors;
    if (!queryEditor || !variableEditor) return;
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
    if (filled.current || sample.state !== 'ready' || !editors.queryEditor || !editors.variableEditor) return;
    filled.current = true;
    const current = editors.queryEditor.getValue().trim();
    const operation = OPERATIONS.find((o) => o.query.trim() === current);
    if (!operation) return;
    const placeholder = variablesText(operation, EMPTY_SAMPLE);
    const variables = editors.variableEditor.getValue().trim();
    if (variables === '' || variables === placeholder) {
      editors.variableEditor.setValue(variablesText(operation, sample.sample));
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
            onClick={() => openOperation(operation, currentSample)}
          >
            {t(operation.label)}
          </button>
        ))}
        <span className="os-sample" data-testid="sample" data-state={sample.state}>
          {sample.state === 'loading' && t('sampleLoading')}
          {sample.state === 'ready' && `${t('sampleFrom')}: ${sample.sample.projectCode} · ${sample.sample.idNumber}`}
          {sample.state === 'failed' && `${t('sampleFailed')} (${sample.reason})`}
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
        {view === 'catalogue' && <ReportView field="catalog" intro={t('catalogueIntro')} credentials={credentials} token={token} t={t} />}
        {view === 'usage' && <ReportView field="usageReport" intro={t('usageIntro')} credentials={credentials} token={token} t={t} charts />}
      </main>
    </div>
  );
}

function sessionValue(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function localValue(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function storeSession(key: string, value: string): void {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // not kept across reloads: harmless
  }
}

function storeLocal(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // not kept across reloads: harmless
  }
}
