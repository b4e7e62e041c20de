import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import fc from 'fast-check';
import { createFetcher, headerErrors, normaliseToken, purposeHeader, statesPurpose, tokenProblem } from '../gateway/playground/src/connection';
import { purposeOf } from '../gateway/purpose';
import { Stack, startStack } from './support/stack';

/**
 * The developer portal in a real browser: Debian's Chromium (installed by .ci/run), driven by
 * playwright-core. The page must work on a closed network: every request it makes goes to the
 * gateway that served it.
 */
const CHROMIUM = process.env.ONESOURCE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const ARTIFACTS = path.join(__dirname, 'artifacts');
/** A consumer with a rate limit this suite can reach, and the window it is counted over (the page must wait it out). */
const RATE_LIMITED_CONSUMER = 'tax-service';
const RATE_LIMIT = 3;
const RATE_WINDOW_SECONDS = 20;

/** The `sub` of a bearer JWT, read without checking it (the gateway checks). */
function tokenSubject(authorization: string | undefined): string | undefined {
  const payload = authorization?.replace(/^Bearer /, '').split('.')[1];
  return payload ? JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).sub : undefined;
}

interface DevConsumer {
  id: string;
  token: string;
}

/** Without Chromium a developer's machine skips, saying so; CI (.ci/run installs it) never does. */
const describeInBrowser = fs.existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;
if (describeInBrowser === describe.skip) {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED: the portal's browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set ONESOURCE_CHROMIUM).`);
}

describeInBrowser('the developer portal in headless Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  /** Seeded consumers' tokens, when the gateway offers them (dev mode, once auth is in). */
  let devConsumers: DevConsumer[] | undefined;
  const requests: { url: string; headers: Record<string, string>; body: string }[] = [];
  const pageErrors: string[] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    stack = await startStack({
      store: 'sqlite',
      mode: 'in-process',
      env: {
        // Counted in Redis under a prefix of this run's own; the window ends by itself.
        ONESOURCE_REDIS_PREFIX: `onesource-test:${randomUUID()}:`,
        ONESOURCE_RATE_LIMIT_BY_CONSUMER: `${RATE_LIMITED_CONSUMER}=${RATE_LIMIT}`,
        ONESOURCE_RATE_LIMIT_WINDOW: String(RATE_WINDOW_SECONDS),
      },
    });
    origin = new URL(stack.gatewayUrl).origin;
    const res = await fetch(`${origin}/playground/dev-consumers`);
    if (res.status === 200) devConsumers = (await res.json()) as DevConsumer[];

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    context.on('request', (request) => requests.push({ url: request.url(), headers: request.headers(), body: request.postData() ?? '' }));
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Refused to|Content Security Policy/i.test(message.text())) refused.push(message.text());
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Headers for asking the gateway directly as a seeded consumer (none needed before auth). */
  function asConsumer(id: string): Record<string, string> {
    const consumer = devConsumers?.find((c) => c.id === id);
    return consumer ? { authorization: `Bearer ${consumer.token}`, 'x-purpose': 'portal test' } : {};
  }

  async function firstProject(): Promise<{ projectCode: string; applicantName: string }> {
    const answer = await stack.query(
      `{ investmentProjects(first: 1) { edges { node { projectCode applicant { name } } } } }`,
      {},
      asConsumer('drc-approval'),
    );
    expect(answer.errors).toBeUndefined();
    const node = answer.data.investmentProjects.edges[0].node;
    return { projectCode: node.projectCode, applicantName: node.applicant.name };
  }

  /**
   * The editors are CodeMirror 5, which draws only the visible lines: the page's code reads their
   * values (run in the browser, so written as source text: this project's types know no DOM).
   */
  const RESPONSE_EDITOR = `document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror`;
  const responseText = (tab: Page = page) => tab.evaluate<string>(`${RESPONSE_EDITOR}?.getValue() ?? ''`);
  /** GraphiQL's headers editor, shown (its tab clicked) before it is written to. */
  const HEADERS_EDITOR = `document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').CodeMirror`;
  async function typeHeaders(headers: Record<string, string> | null): Promise<void> {
    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    await page.evaluate(`${HEADERS_EDITOR}.setValue(${JSON.stringify(headers ? JSON.stringify(headers) : '')})`);
  }

  const runReview = (tab: Page = page) => runReadyOperation('review', tab);

  async function runReadyOperation(operation: string, tab: Page = page): Promise<Record<string, any>> {
    await tab.click(`[data-operation="${operation}"]`);
    // Cleared first, so that an answer equal to the last one is still seen arriving.
    await tab.evaluate(`${RESPONSE_EDITOR}?.setValue('')`);
    await tab.click('.graphiql-execute-button');
    // A function, not source text: the page's Content-Security-Policy forbids eval, rightly.
    await tab.waitForFunction(
      () => {
        const document = (globalThis as any).document;
        const value: string = document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '';
        return value !== '' && !document.querySelector('.graphiql-response .graphiql-spinner');
      },
      undefined,
      { timeout: 60_000 },
    );
    return JSON.parse(await responseText(tab));
  }

  /** The GraphQL requests the page made since `from`. */
  const graphqlSince = (from: number) => requests.slice(from).filter((r) => new URL(r.url).pathname === '/graphql');

  /** The value of the variables editor. */
  const variablesText = () => page.evaluate<string>(`document.querySelector('.graphiql-editor-tool .CodeMirror')?.CodeMirror?.getValue() ?? ''`);

  it('opens in Chinese with the review ready, its variables taken from the seed data', async () => {
    const { projectCode } = await firstProject();
    const opened = requests.length;
    const res = await page.goto(`${origin}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toMatch(/text\/html/);
    await page.waitForSelector('.graphiql-container');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await expect(page.locator('.os-brand').innerText()).resolves.toContain('开发者门户');
    await page.waitForSelector('[data-testid="sample"][data-state="ready"]', { timeout: 60_000 });
    const variables = await page.evaluate<string>(
      `[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].map((e) => e.CodeMirror.getValue()).find((v) => v.includes('projectCode')) ?? ''`,
    );
    expect(JSON.parse(variables)).toEqual({ projectCode });

    // Opening the page reads no one's personal data, and claims no purpose nobody stated.
    await expect(page.inputValue('[data-testid="purpose"]')).resolves.toBe('');
    const sent = graphqlSince(opened);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) {
      expect(r.body).not.toMatch(/legalRepresentative|idNumber/);
      expect(r.headers['x-purpose']).toBeUndefined();
    }
    await expect(page.locator('[data-testid="sample"]').innerText()).resolves.toContain(projectCode);
  });

  it('runs the five-department review and shows the applicant from the seed data', async () => {
    const { projectCode, applicantName } = await firstProject();
    await page.fill('[data-testid="purpose"]', '投资项目并联审批');
    const answer = await runReview();
    expect(answer.data.investmentProject.projectCode).toBe(projectCode);
    expect(answer.data.investmentProject.applicant.name).toBe(applicantName);
    expect(answer.data.investmentProject.applicant.legalRepresentative.name).toEqual(expect.any(String));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal.png') });
  });

  it('sends the token and the purpose with every request', async () => {
    const picker = page.locator('[data-testid="consumer"]');
    if (await picker.count()) await picker.selectOption('');
    const token = devConsumers?.find((c) => c.id === 'drc-approval')?.token ?? 'pasted.token.value';
    await page.fill('[data-testid="token"]', `Bearer ${token}`);
    await page.fill('[data-testid="purpose"]', '企业投资项目备案审查');
    const from = requests.length;
    await runReview();
    const sent = requests.slice(from).filter((r) => new URL(r.url).pathname === '/graphql');
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) {
      expect(r.headers.authorization).toBe(`Bearer ${token}`);
      // Browsers send only ISO-8859-1 header values: the Chinese purpose travels percent-encoded.
      expect(decodeURIComponent(r.headers['x-purpose'])).toBe('企业投资项目备案审查');
    }
  });

  it('reads a person only when an operation about one is opened, as the consumer and for the purpose stated', async () => {
    // Here the consumer is the pasted drc-approval token, its purpose 企业投资项目备案审查 (above).
    const { projectCode } = await firstProject();
    const project = await stack.query(
      `query ($projectCode: ID!) { investmentProject(projectCode: $projectCode) { applicant { legalRepresentative { idNumber name } } } }`,
      { projectCode },
      asConsumer('drc-approval'),
    );
    const representative = project.data.investmentProject.applicant.legalRepresentative;
    const from = requests.length;
    await page.click('[data-operation="verify"]');
    await page.waitForSelector('[data-testid="sample"][data-state="ready"]');
    await page.waitForFunction((id) => (globalThis as any).document.querySelector('.graphiql-editor-tool .CodeMirror')?.CodeMirror?.getValue().includes(id), representative.idNumber);
    expect(JSON.parse(await variablesText())).toEqual({ idNumber: representative.idNumber, name: representative.name });
    const personRead = graphqlSince(from).filter((r) => r.body.includes('legalRepresentative'));
    expect(personRead).toHaveLength(1);
    expect(decodeURIComponent(personRead[0].headers['x-purpose'])).toBe('企业投资项目备案审查');
    // The idNumber is in the variables the developer asked for, not shown in the page's header.
    await expect(page.locator('[data-testid="sample"]').innerText()).resolves.not.toContain(representative.idNumber);
  });

  it('shows an auditor what one consumer system read today, and how many persons, not who', async () => {
    // The reviews above ran as drc-approval, for 企业投资项目备案审查.
    const picker = page.locator('[data-testid="consumer"]');
    if (await picker.count()) await picker.selectOption('');
    const auditor = await stack.as('auditor');
    await page.fill('[data-testid="token"]', auditor.authorization);
    const answer = await runReadyOperation('auditTrail');
    expect(answer.errors).toBeUndefined();
    const reads = answer.data.auditTrail.edges.map((e: any) => e.node);
    const review = reads.find((r: any) => r.purpose === '企业投资项目备案审查' && r.operationName === 'ProjectReview');
    expect(review).toMatchObject({ subjectCount: expect.any(Number), outcome: expect.any(String) });
    expect(review.subjectCount).toBeGreaterThan(0);
    expect(review.fields).toContain('NaturalPerson.householdAddress');
    expect(await responseText()).not.toMatch(/"\d{17}[\dX]"/);
    // A person's record history opens with the sample person and answers the auditor, who states why it looks.
    const statedBefore = await page.inputValue('[data-testid="purpose"]');
    await page.fill('[data-testid="purpose"]', '投诉核查');
    const history = await runReadyOperation('recordChanges');
    expect(history.errors).toBeUndefined();
    expect(Array.isArray(history.data.recordChanges)).toBe(true);
    await page.fill('[data-testid="purpose"]', statedBefore);
    await page.fill('[data-testid="token"]', `Bearer ${devConsumers?.find((c) => c.id === 'drc-approval')?.token ?? 'pasted.token.value'}`);
  });

  it("keeps a purpose to the consumer it was stated for", async () => {
    const picker = page.locator('[data-testid="consumer"]');
    if (!(await picker.count())) {
      // eslint-disable-next-line no-console
      console.warn('SKIPPED: the gateway offers no dev consumers: no picker to switch consumers with.');
      return;
    }
    await picker.selectOption('auditor');
    await expect(page.inputValue('[data-testid="purpose"]')).resolves.toBe('');
    await page.fill('[data-testid="purpose"]', '个人信息保护合规审计');
    await picker.selectOption('');
    await expect(page.inputValue('[data-testid="purpose"]')).resolves.toBe('企业投资项目备案审查');
    await picker.selectOption('auditor');
    await expect(page.inputValue('[data-testid="purpose"]')).resolves.toBe('个人信息保护合规审计');
    await picker.selectOption('');
  });

  it('keeps a pasted token\'s purpose to the consumer the token names, and nothing of a person in localStorage', async () => {
    const picker = page.locator('[data-testid="consumer"]');
    if (await picker.count()) await picker.selectOption('');
    const drc = `Bearer ${devConsumers?.find((c) => c.id === 'drc-approval')?.token ?? (await stack.as('drc-approval')).authorization.replace(/^Bearer /, '')}`;
    await page.fill('[data-testid="token"]', drc);
    await page.fill('[data-testid="purpose"]', '企业投资项目备案审查');
    // Another consumer's token pasted in its place: that consumer has stated no purpose yet.
    await page.fill('[data-testid="token"]', (await stack.as('auditor')).authorization);
    await expect(page.inputValue('[data-testid="purpose"]')).resolves.toBe('');
    await page.fill('[data-testid="token"]', drc);
    await expect(page.inputValue('[data-testid="purpose"]')).resolves.toBe('企业投资项目备案审查');
    // The person operations opened above put idNumbers and names in GraphiQL's variables: kept in the tab's session only.
    const local = await page.evaluate(() => JSON.stringify(Object.entries((globalThis as any).localStorage)));
    expect(local).not.toMatch(/\d{17}[\dX]/);
    expect(local).not.toMatch(/graphiql:/);
  });

  /** The pasted-token field given another token, once the page has read the schema as its consumer. */
  async function pasteToken(authorization: string): Promise<void> {
    const picker = page.locator('[data-testid="consumer"]');
    if (await picker.count()) await picker.selectOption('');
    if ((await page.inputValue('[data-testid="token"]')) === authorization) return;
    const introspected = page.waitForRequest((r) => new URL(r.url()).pathname === '/graphql' && (r.postData() ?? '').includes('__schema'));
    await page.fill('[data-testid="token"]', authorization);
    await introspected;
  }

  const drcAuthorization = async () => `Bearer ${devConsumers?.find((c) => c.id === 'drc-approval')?.token ?? (await stack.as('drc-approval')).authorization.replace(/^Bearer /, '')}`;
  const purposeOutlined = async () => ((await page.getAttribute('[data-testid="purpose"]', 'class')) ?? '').includes('os-missing');

  it('refuses an X-Purpose or Authorization typed in the headers editor, naming it: who asks and why are the fields\', for the consumer picked', async () => {
    // A consumer that has stated no purpose in this tab: the field is empty, and outlined.
    await pasteToken((await stack.as('housing-permit')).authorization);
    await expect(page.inputValue('[data-testid="purpose"]')).resolves.toBe('');
    expect(await purposeOutlined()).toBe(true);

    for (const [name, value] of [
      ['X-Purpose', '营商环境监测'],
      ['x-purpose', 'audit'],
      ['Authorization', await drcAuthorization()],
    ]) {
      await typeHeaders({ [name]: value });
      // Typed there, it would go out for whichever consumer is picked next: the field still says none is stated.
      expect(await purposeOutlined()).toBe(true);
      const before = requests.length;
      const refused = await runReview();
      expect(refused.data).toBeUndefined();
      expect(refused.errors[0].message).toContain(`"${name}"`);
      expect(refused.errors[0].message).toMatch(/is not sent[\s\S]*不予发送/);
      expect(refused.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', headers: [name] });
      expect(graphqlSince(before)).toHaveLength(0);
    }

    // Any other header goes, with the consumer and purpose of the fields: none stated yet, none sent.
    await typeHeaders({ 'X-Request-Note': 'portal-test' });
    let from = requests.length;
    await runReview();
    let sent = graphqlSince(from);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) {
      expect(r.headers['x-request-note']).toBe('portal-test');
      expect(tokenSubject(r.headers.authorization)).toBe('housing-permit');
      expect(r.headers['x-purpose']).toBeUndefined();
    }
    await page.fill('[data-testid="purpose"]', '营商环境监测');
    expect(await purposeOutlined()).toBe(false);
    from = requests.length;
    await runReview();
    sent = graphqlSince(from);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) expect(decodeURIComponent(r.headers['x-purpose'])).toBe('营商环境监测');

    await typeHeaders(null);
    await page.click('.graphiql-editor-tools button[data-name="variables"]');
    await pasteToken(await drcAuthorization());
    await expect(page.inputValue('[data-testid="purpose"]')).resolves.toBe('企业投资项目备案审查');
  });

  it('refuses a header a browser cannot send, or would drop, with an answer naming it instead of the browser\'s error', async () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ 'X Purpose': 'abc' }, 'X Purpose', /cannot be sent by a browser[\s\S]*请求头名称/],
      [{ 用途: 'abc' }, '用途', /cannot be sent by a browser[\s\S]*请求头名称/],
      [{ Cookie: 'session=1' }, 'Cookie', /forbidden header name[\s\S]*浏览器禁止/],
      [{ Host: 'example.org' }, 'Host', /forbidden header name/],
      [{ 'X-Department-Note': '市场监管' }, 'X-Department-Note', /ISO-8859-1[\s\S]*百分号编码/],
    ];
    const errorsBefore = pageErrors.length;
    for (const [headers, name, says] of cases) {
      await typeHeaders(headers);
      const before = requests.length;
      const refused = await runReview();
      expect(refused.data).toBeUndefined();
      expect(refused.errors).toHaveLength(1);
      expect(refused.errors[0].message).toContain(`"${name}"`);
      expect(refused.errors[0].message).toMatch(says);
      expect(await responseText()).not.toMatch(/Failed to execute|Invalid name|TypeError/);
      expect(graphqlSince(before)).toHaveLength(0);
    }
    expect(pageErrors.slice(errorsBefore)).toEqual([]);
    await typeHeaders(null);
    await page.click('.graphiql-editor-tools button[data-name="variables"]');
  });

  it('drops the invisible characters a chat app adds to a pasted token, and names a character no token holds', async () => {
    const drc = await drcAuthorization();
    const bearer = drc.replace(/^Bearer /, '');
    // A zero-width space inside, a byte-order mark at the end: the token goes out as issued.
    await pasteToken(`Bearer ${bearer.slice(0, 20)}\u200b${bearer.slice(20)}\ufeff`);
    expect((await page.getAttribute('[data-testid="token"]', 'class')) ?? '').not.toContain('os-missing');
    let from = requests.length;
    const answer = await runReview();
    expect(answer.data.investmentProject.projectCode).toEqual(expect.any(String));
    const sent = graphqlSince(from);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) expect(r.headers.authorization).toBe(drc);

    // A character a header cannot carry, and no token holds: outlined, and refused with the page's words.
    await page.fill('[data-testid="token"]', `Bearer ${bearer.slice(0, 20)}中${bearer.slice(20)}`);
    expect((await page.getAttribute('[data-testid="token"]', 'class')) ?? '').toContain('os-missing');
    await expect(page.getAttribute('[data-testid="token"]', 'title')).resolves.toContain('U+4E2D');
    from = requests.length;
    const refused = await runReview();
    expect(refused.errors[0].message).toMatch(/not part of a token[\s\S]*U\+4E2D[\s\S]*令牌含有不属于令牌的字符/);
    expect(await responseText()).not.toMatch(/ISO-8859-1 code point|Failed to execute/);
    // Nothing left the page: neither the review nor the schema read of the new token (after it settled).
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(graphqlSince(from)).toHaveLength(0);

    await pasteToken(drc);
    expect((await page.getAttribute('[data-testid="token"]', 'class')) ?? '').not.toContain('os-missing');
  });

  it('outlines the purpose as missing until it states one by the gateway\'s rule: two letters at least', async () => {
    const stated = await page.inputValue('[data-testid="purpose"]');
    for (const none of ['', 'x', '1', '-', '1234', ' x ', '\u200b\u200b', 'x\u200b']) {
      await page.fill('[data-testid="purpose"]', none);
      expect([none, await purposeOutlined()]).toEqual([none, true]);
    }
    for (const purpose of ['审批', 'ab', '投诉核查 2026-017', 'x\u200by']) {
      await page.fill('[data-testid="purpose"]', purpose);
      expect([purpose, await purposeOutlined()]).toEqual([purpose, false]);
    }
    await page.fill('[data-testid="purpose"]', stated);
  });

  it('switches its labels to English and back', async () => {
    await page.click('.os-language button[lang="en"]');
    await expect(page.locator('.os-brand').innerText()).resolves.toContain('Developer portal');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.click('.os-language button[lang="zh-CN"]');
    await expect(page.locator('.os-brand').innerText()).resolves.toContain('开发者门户');
  });

  it('lays the catalogue out in the language chosen: Chinese terms beside the field names, share types in words', async () => {
    await page.click('[data-view="catalogue"]');
    const report = page.locator('.os-report[data-report="catalog"]');
    await report.locator('xpath=self::*[@data-state="ready"]').waitFor();
    const items = report.locator('table table').first();
    const headings = await items.locator('xpath=./thead/tr/th').allInnerTexts();
    // What a row is and whether the caller may read it come first.
    expect(headings.slice(0, 4).map((h) => h.replace(/\s+/g, ' '))).toEqual(['名称 name', '数据项 coordinate', '当前调用方可读 readable', '共享类型 shareType']);
    await expect(report.innerText()).resolves.toContain('有条件共享');
    await expect(report.innerText()).resolves.not.toMatch(/\bCONDITIONAL\b/);

    await page.click('.os-language button[lang="en"]');
    await expect(items.locator('xpath=./thead/tr/th').first().innerText()).resolves.toBe('name');
    await expect(report.innerText()).resolves.toMatch(/\bCONDITIONAL\b/);
    await expect(page.title()).resolves.toBe('OneSource · Developer portal');
    await page.click('.os-language button[lang="zh-CN"]');
    await expect(page.title()).resolves.toContain('开发者门户');
    await page.click('[data-view="playground"]');
  });

  it('as market-portal, shows the review\'s conditional fields as FORBIDDEN', async () => {
    const market = devConsumers?.find((c) => c.id === 'market-portal');
    if (!market) {
      // eslint-disable-next-line no-console
      console.warn('SKIPPED: the gateway offers no dev consumers (GET /playground/dev-consumers is not 200): no picker to switch to market-portal.');
      return;
    }
    await page.selectOption('[data-testid="consumer"]', 'market-portal');
    const from = requests.length;
    const answer = await runReview();
    const sent = requests.slice(from).filter((r) => new URL(r.url).pathname === '/graphql');
    expect(sent.length).toBeGreaterThan(0);
    // The page's own list was issued apart from the test's: same consumer, other tokens.
    for (const r of sent) expect(tokenSubject(r.headers.authorization)).toBe('market-portal');

    // What the gateway itself answers market-portal for the page's review: the page must show that.
    const review = await page.evaluate<string>(`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()`);
    const variables = { projectCode: answer.data?.investmentProject?.projectCode ?? (await firstProject()).projectCode };
    const direct = await stack.query(review, variables, { authorization: `Bearer ${market.token}`, 'x-purpose': encodeURIComponent('投资项目并联审批') });
    const forbiddenPaths = (errors: any[] | undefined) =>
      (errors ?? []).filter((e) => e.extensions?.code === 'FORBIDDEN').map((e) => (e.path ?? []).join('.')).sort();
    if (forbiddenPaths(direct.errors).length === 0) {
      // eslint-disable-next-line no-console
      console.warn('SKIPPED: the gateway does not refuse market-portal any field of the review yet (share types not enforced): nothing FORBIDDEN to show.');
      return;
    }
    expect(forbiddenPaths(answer.errors)).toEqual(forbiddenPaths(direct.errors));
    // The rest of the answer still comes back.
    expect(answer.data.investmentProject.applicant.name).toEqual(expect.any(String));
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-market-portal.png') });
  });

  it('shows a department operator its usage statistics for the last 30 days, and for the dates it picks', async () => {
    if (!devConsumers?.some((c) => c.id === 'dept-credit')) {
      // eslint-disable-next-line no-console
      console.warn('SKIPPED: the gateway offers no dev consumers: no picker to switch to dept-credit.');
      return;
    }
    await page.selectOption('[data-testid="consumer"]', 'dept-credit');
    await page.click('[data-view="usage"]');
    const report = page.locator('.os-report[data-report="usageReport"]');
    await report.locator('xpath=self::*[@data-state="ready"]').waitFor();
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    await expect(page.inputValue('[data-argument="from"]')).resolves.toBe(day(30));
    await expect(page.inputValue('[data-argument="to"]')).resolves.toBe(day(0));
    // The reviews this suite ran read credit data: the credit department sees who read it.
    await expect(report.innerText()).resolves.toMatch(/drc-approval[\s\S]*credit/);

    // Another start date asks the gateway again, for that range.
    const from = requests.length;
    await page.fill('[data-argument="from"]', day(1));
    await page.waitForFunction(() => document.querySelector('.os-report')?.getAttribute('data-state') === 'ready');
    expect(requests.slice(from).filter((r) => new URL(r.url).pathname === '/graphql').length).toBeGreaterThan(0);
    await expect(report.locator('.os-unavailable').count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-usage.png') });

    // A date cleared asks for it, and asks the gateway nothing (the query is offered: it lacks a value).
    const beforeClearing = requests.length;
    await page.fill('[data-argument="to"]', '');
    await report.locator('.os-unavailable').waitFor();
    const said = await report.locator('.os-unavailable').innerText();
    expect(said).toMatch(/请填写 截止日期/);
    expect(said).not.toMatch(/尚未提供|does not offer/);
    expect(requests.slice(beforeClearing).filter((r) => new URL(r.url).pathname === '/graphql')).toEqual([]);
    await page.fill('[data-argument="to"]', day(0));
    await report.locator('xpath=self::*[@data-state="ready"]').waitFor();
  });

  it('draws each count once in the usage view: a list inside a table is a small table, not bars again', async () => {
    const report = page.locator('.os-report[data-report="usageReport"]');
    await expect(report.locator('.os-bars').count()).resolves.toBeGreaterThan(0);
    // market-portal's review above was refused credit's conditional fields: errorsByCode has rows.
    await expect(report.locator('td table').count()).resolves.toBeGreaterThan(0);
    await expect(report.locator('td .os-bars').count()).resolves.toBe(0);
  });

  it('fits a phone: nothing wider than the screen, the editors above the response', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, locale: 'zh-CN', isMobile: true });
    phone.on('request', (request) => requests.push({ url: request.url(), headers: request.headers(), body: request.postData() ?? '' }));
    try {
      const small = await phone.newPage();
      small.on('pageerror', (error) => pageErrors.push(error.message));
      await small.goto(`${origin}/`);
      await small.waitForSelector('[data-testid="sample"][data-state="ready"]', { timeout: 60_000 });
      expect(await small.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      for (const control of ['[data-testid="purpose"]', '.graphiql-execute-button', '[data-operation="verify"]']) {
        const box = await small.locator(control).boundingBox();
        expect(box).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(375);
      }
      const query = await small.locator('.graphiql-query-editor').boundingBox();
      const response = await small.locator('.graphiql-response').boundingBox();
      expect(response!.y).toBeGreaterThanOrEqual(query!.y + query!.height - 1);
      expect(response!.width).toBeGreaterThan(250);
      expect(response!.height).toBeGreaterThan(150);
      await small.screenshot({ path: path.join(ARTIFACTS, 'portal-phone.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('asks for new dev tokens before the ones it holds expire, and uses them', async () => {
    if (!devConsumers?.length) {
      // eslint-disable-next-line no-console
      console.warn('SKIPPED: the gateway offers no dev consumers: no tokens to renew.');
      return;
    }
    const later = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    later.on('request', (request) => requests.push({ url: request.url(), headers: request.headers(), body: request.postData() ?? '' }));
    try {
      const tab = await later.newPage();
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      await tab.clock.install();
      await tab.goto(`${origin}/`);
      await tab.waitForSelector('[data-testid="sample"][data-state="ready"]', { timeout: 60_000 });
      // Dev tokens live an hour: 56 minutes on, the page asks for the list again. The clock jumps, as
      // after a laptop's sleep, firing each due timer once: run through tick by tick, the page's
      // schema checks (every 5 s) slowed the run so much that the renewed list arrived within it,
      // and the renewal after it (10 s on, the page's clock being 56 minutes ahead) fired too.
      const renewed = tab.waitForResponse((r) => new URL(r.url()).pathname === '/playground/dev-consumers');
      await tab.clock.fastForward('56:00');
      const fresh = (await (await renewed).json()) as DevConsumer[];
      const token = fresh.find((c) => c.id === 'drc-approval')!.token;
      const from = requests.length;
      await tab.click('[data-view="catalogue"]');
      await tab.waitForSelector('.os-report[data-state="ready"]', { timeout: 60_000 });
      const sent = requests.slice(from).filter((r) => new URL(r.url).pathname === '/graphql');
      expect(sent.length).toBeGreaterThan(0);
      for (const r of sent) expect(r.headers.authorization).toBe(`Bearer ${token}`);
    } finally {
      await later.close();
    }
  });

  it('serves its bundles gzipped and cacheable for good, and nothing at unknown asset paths', async () => {
    const html = await (await fetch(`${origin}/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/playground\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const res = await fetch(`${origin}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe('gzip');
      expect(res.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
      expect(res.headers.get('cache-control')).toMatch(/immutable/);
      expect((await res.text()).length).toBeGreaterThan(1000);
    }
    expect((await fetch(`${origin}/playground/assets/missing.js`)).status).toBe(404);
  });

  it('says why the schema could not be read in the gateway\'s words (a rate limit), reads it again on 刷新, and reads the sample again for a ready-made operation', async () => {
    const limited = await stack.as(RATE_LIMITED_CONSUMER);
    const { projectCode } = await firstProject();
    // The consumer's window opens with its first request: used up here, before the page opens as that consumer.
    const windowEnds = Date.now() + RATE_WINDOW_SECONDS * 1000;
    for (let i = 0; i < RATE_LIMIT; i++) expect((await stack.query('{ __typename }', {}, limited)).status).toBe(200);
    const over = await stack.query('{ __typename }', {}, limited);
    if (over.status !== 429) {
      // Without Redis the gateway fails open (README): nothing is refused, so there is no refusal to show.
      if (process.env.CI) throw new Error(`expected 429 from ${RATE_LIMITED_CONSUMER}'s ${RATE_LIMIT + 1}th request (is Redis running?), got ${over.status}`);
      // eslint-disable-next-line no-console
      console.warn('SKIPPED: the gateway does not enforce rate limits here (Redis not reachable): no 429 to show in the portal.');
      return;
    }
    expect(over.errors?.[0].extensions?.code).toBe('RATE_LIMITED');

    const later = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    later.on('request', (request) => requests.push({ url: request.url(), headers: request.headers(), body: request.postData() ?? '' }));
    // The tab opens as the limited consumer, its token pasted (kept in the tab's session, as a reload keeps it).
    await later.addInitScript(({ authorization }) => {
      const storage = (globalThis as any).sessionStorage;
      if (storage.getItem('onesource.token') !== null) return;
      storage.setItem('onesource.consumer', '');
      storage.setItem('onesource.token', authorization);
    }, { authorization: limited.authorization });
    try {
      const tab = await later.newPage();
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      await tab.goto(`${origin}/`);
      const sample = tab.locator('[data-testid="sample"]');
      await tab.waitForSelector('[data-testid="sample"][data-state="failed"]', { timeout: 60_000 });
      await expect(sample.innerText()).resolves.toContain(`Rate limit of ${RATE_LIMIT} requests`);

      await tab.click('[data-view="catalogue"]');
      const report = tab.locator('.os-report[data-report="catalog"]');
      await report.locator('xpath=self::*[@data-state="unavailable"]').waitFor({ timeout: 60_000 });
      let said = await report.locator('.os-unavailable').innerText();
      expect(said).toContain(`RATE_LIMITED: Rate limit of ${RATE_LIMIT} requests per ${RATE_WINDOW_SECONDS} s exceeded`);
      // Not a guess at the token: it was a good one.
      expect(said).not.toMatch(/令牌缺失|尚未读到|no token, or a bad one/);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await tab.screenshot({ path: path.join(ARTIFACTS, 'portal-rate-limited.png') });

      // 刷新 asks the gateway for the schema again (the report cannot be asked without it).
      const asked = tab.waitForRequest((r) => new URL(r.url()).pathname === '/graphql' && (r.postData() ?? '').includes('__schema'));
      await tab.click('.os-report [data-testid="reload"]');
      await asked;
      await report.locator('xpath=self::*[@data-state="unavailable"]').waitFor({ timeout: 60_000 });
      said = await report.locator('.os-unavailable').innerText();
      expect(said).toContain('RATE_LIMITED');

      // Once the window is over, 刷新 reads the schema, and the catalogue shows.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowEnds + 2_000 - Date.now())));
      await tab.click('.os-report [data-testid="reload"]');
      await report.locator('xpath=self::*[@data-state="ready"]').waitFor({ timeout: 60_000 });
      await expect(report.locator('.os-unavailable').count()).resolves.toBe(0);

      // The sample failed when the page opened: opening a ready-made operation reads it again,
      // fills the operation's variables from it, and the failure no longer shows.
      await tab.click('[data-view="playground"]');
      await expect(sample.getAttribute('data-state')).resolves.toBe('failed');
      await tab.click('[data-operation="review"]');
      await tab.waitForSelector('[data-testid="sample"][data-state="ready"]', { timeout: 60_000 });
      await expect(sample.innerText()).resolves.toContain(projectCode);
      await expect(sample.innerText()).resolves.not.toContain('Rate limit');
      await tab.waitForFunction(
        (code) => (globalThis as any).document.querySelector('.graphiql-editor-tool .CodeMirror')?.CodeMirror?.getValue().includes(code),
        projectCode,
      );
      const variables = await tab.evaluate<string>(`document.querySelector('.graphiql-editor-tool .CodeMirror').CodeMirror.getValue()`);
      expect(JSON.parse(variables)).toEqual({ projectCode });
    } finally {
      await later.close();
    }
  }, 120_000);

  it('opens and runs the review in a browser that keeps no site data (cookies blocked by office policy)', async () => {
    const { projectCode } = await firstProject();
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-portal-profile-'));
    // What a locked-down office PC's policy sets: no site may keep data, sessionStorage included.
    fs.mkdirSync(path.join(profile, 'Default'));
    fs.writeFileSync(path.join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }));
    const locked = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_FLAGS, viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    locked.on('request', (request) => requests.push({ url: request.url(), headers: request.headers(), body: request.postData() ?? '' }));
    try {
      const tab = locked.pages()[0] ?? (await locked.newPage());
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      await tab.goto(`${origin}/`);
      // The profile does refuse the page its storage, as it did the reviewer's.
      const storage = await tab.evaluate(`(() => { try { return typeof sessionStorage.length; } catch (e) { return e.message; } })()`);
      expect(storage).toMatch(/Access is denied/);
      await tab.waitForSelector('.graphiql-container', { timeout: 60_000 });
      await tab.waitForSelector('[data-testid="sample"][data-state="ready"]', { timeout: 60_000 });
      const answer = await runReview(tab);
      expect(answer.data.investmentProject.projectCode).toBe(projectCode);
    } finally {
      await locked.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  });

  it('asked nothing of any host but the gateway that served it', () => {
    expect(requests.length).toBeGreaterThan(0);
    const elsewhere = requests.map((r) => r.url).filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
    expect(elsewhere).toEqual([]);
    expect(refused).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

/** The page's own checks before a request leaves (connection.ts): no browser needed. */
describe("the developer portal's connection checks", () => {
  it('holds a purpose to the gateway\'s rule (gateway/purpose.ts): two letters at least, invisible characters dropped', () => {
    for (const none of ['', '   ', 'x', '1', '-', '1234', '\u200b\u200b', 'x\u200b', '\u3164\u3164', 'x\u0000']) expect([none, statesPurpose(none)]).toEqual([none, false]);
    for (const stated of ['审批', 'ab', '投资项目并联审批', 'x\u200by', '投诉核查 2026-017', '%E5%AE%A1%E6%89%B9']) expect([stated, statesPurpose(stated)]).toEqual([stated, true]);
  });

  it('outlines a purpose exactly when the gateway would take the header the page sends for it as none (the rule is mirrored, not imported)', () => {
    const sentAs = (text: string) => (text.trim() ? purposeOf(purposeHeader(text.trim())) !== undefined : false);
    const pieces = ['a', 'Z', '审', '批', '1', '-', ' ', '%', '%41', '%E5%AE%A1', '\u200b', '\u3164', '\u0000', '\ud800', '😀', 'é'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 6 }), (parts) => {
        const text = parts.join('');
        expect([text, statesPurpose(text)]).toEqual([text, sentAs(text)]);
      }),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 8 }), (text) => expect([text, statesPurpose(text)]).toEqual([text, sentAs(text)])), { numRuns: 2000 });
  });

  it('drops the spaces, line breaks and invisible characters of a pasted token, and names a character no token holds', () => {
    expect(normaliseToken('Bearer abc.def')).toBe('abc.def');
    expect(normaliseToken('\u200bBearer ab\u200bc.\ufeffde\u200df\n')).toBe('abc.def');
    expect(tokenProblem('Bearer ab\u200bc.d\u2060ef\u3000')).toBeUndefined();
    expect(tokenProblem('abc.d中ef')).toMatch(/not part of a token \("中" U\+4E2D at character 6\)[\s\S]*令牌含有不属于令牌的字符/);
  });

  it('names each header it refuses, by kind', () => {
    const refused = (headers: [string, string][]) => headerErrors(headers).map((e) => e.extensions?.headers);
    expect(refused([['X-Request-Note', 'abc'], ['Accept', 'application/json'], ['X-HTTP-Method-Override', 'PATCH']])).toEqual([]);
    expect(refused([['X Purpose', 'abc'], ['用途', 'abc'], ['', 'abc']])).toEqual([['X Purpose', '用途', '']]);
    expect(refused([['Cookie', 'a=b'], ['HOST', 'x'], ['Sec-Fetch-Mode', 'cors'], ['Proxy-Authorization', 'x'], ['X-HTTP-Method-Override', 'trace']])).toEqual([
      ['Cookie', 'HOST', 'Sec-Fetch-Mode', 'Proxy-Authorization', 'X-HTTP-Method-Override'],
    ]);
    expect(refused([['x-PURPOSE', 'abc'], ['Authorization', 'Bearer x']])).toEqual([['x-PURPOSE', 'Authorization']]);
    expect(refused([['X-Note', '市场监管'], ['X-Line', 'a\nb']])).toEqual([['X-Note', 'X-Line']]);
  });

  it('sends nothing the checks refuse, and everything else with the page\'s credentials', async () => {
    const sent: Record<string, string>[] = [];
    const fetched = jest.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => {
      sent.push(init?.headers as Record<string, string>);
      return new Response(JSON.stringify({ data: { ok: true } }));
    });
    try {
      const fetcher = (token: string, headers?: Record<string, unknown>) =>
        createFetcher(() => ({ token, purpose: '审批' }))({ query: '{ ok }' }, { headers }) as unknown as Promise<any>;
      expect((await fetcher('Bearer a.b中.c')).errors[0].message).toContain('U+4E2D');
      expect((await fetcher('a.b.c', { 'X-Purpose': 'other' })).errors[0].extensions.headers).toEqual(['X-Purpose']);
      expect((await fetcher('a.b.c', { Cookie: 'x' })).errors[0].extensions.headers).toEqual(['Cookie']);
      expect(sent).toEqual([]);
      expect(await fetcher('Bearer a.b\u200b.c', { 'X-Request-Note': 'n' })).toEqual({ data: { ok: true } });
      expect(sent).toEqual([expect.objectContaining({ authorization: 'Bearer a.b.c', 'x-purpose': encodeURIComponent('审批'), 'x-request-note': 'n' })]);
    } finally {
      fetched.mockRestore();
    }
  });
});
