import fs from 'node:fs';
import path from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
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
    stack = await startStack({ store: 'sqlite', mode: 'in-process' });
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
  const responseText = () => page.evaluate<string>(`${RESPONSE_EDITOR}?.getValue() ?? ''`);

  const runReview = () => runReadyOperation('review');

  async function runReadyOperation(operation: string): Promise<Record<string, any>> {
    await page.click(`[data-operation="${operation}"]`);
    // Cleared first, so that an answer equal to the last one is still seen arriving.
    await page.evaluate(`${RESPONSE_EDITOR}?.setValue('')`);
    await page.click('.graphiql-execute-button');
    // A function, not source text: the page's Content-Security-Policy forbids eval, rightly.
    await page.waitForFunction(
      () => {
        const document = (globalThis as any).document;
        const value: string = document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '';
        return value !== '' && !document.querySelector('.graphiql-response .graphiql-spinner');
      },
      undefined,
      { timeout: 60_000 },
    );
    return JSON.parse(await responseText());
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

  it('sends a Chinese X-Purpose typed in the headers editor, and names a header a browser cannot send', async () => {
    const HEADERS_EDITOR = `document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').CodeMirror`;
    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    await page.evaluate(`${HEADERS_EDITOR}.setValue(JSON.stringify({ 'X-Purpose': '营商环境监测' }))`);
    const from = requests.length;
    const answer = await runReview();
    expect(answer.data.investmentProject.projectCode).toEqual(expect.any(String));
    const sent = graphqlSince(from);
    expect(sent.length).toBeGreaterThan(0);
    // One X-Purpose, the editor's (it wins over the page's field), percent-encoded.
    for (const r of sent) expect(decodeURIComponent(r.headers['x-purpose'])).toBe('营商环境监测');

    await page.evaluate(`${HEADERS_EDITOR}.setValue(JSON.stringify({ 'X-Department-Note': '市场监管' }))`);
    const before = requests.length;
    const refused = await runReview();
    expect(refused.errors[0].message).toContain('"x-department-note"');
    expect(refused.errors[0].message).toContain('ISO-8859-1');
    expect(graphqlSince(before)).toHaveLength(0);
    await page.evaluate(`${HEADERS_EDITOR}.setValue('')`);
    await page.click('.graphiql-editor-tools button[data-name="variables"]');
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
      // Dev tokens live an hour: 56 minutes on, the page asks for the list again.
      const renewed = tab.waitForResponse((r) => new URL(r.url()).pathname === '/playground/dev-consumers');
      await tab.clock.runFor('56:00');
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

  it('asked nothing of any host but the gateway that served it', () => {
    expect(requests.length).toBeGreaterThan(0);
    const elsewhere = requests.map((r) => r.url).filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
    expect(elsewhere).toEqual([]);
    expect(refused).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
