import fs from 'node:fs';
import path from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { SCHEMA_IDENTITY_HEADER, SCHEMA_IDENTITY_PATH } from '../gateway/schema-identity';
import * as pageSide from '../gateway/playground/src/schema-identity';
import { Stack, startStack } from './support/stack';
import { copiedSchemaDir } from './support/schema-dir';

/**
 * The developer portal follows the gateway's schema: when a department changes its SDL and the
 * gateway serves the new supergraph (no restart), an open page introspects again by itself, so
 * GraphiQL's docs, completion and validation show the schema served, not the one the page opened
 * with. Cheaply: the page asks a few bytes every few seconds (and learns it from every answer),
 * and introspects only when the schema changed. Headless Chromium, as tests/portal.browser.test.ts.
 */
const CHROMIUM = process.env.ONESOURCE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const describeInBrowser = fs.existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;
if (describeInBrowser === describe.skip) {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED: the portal's schema-following browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set ONESOURCE_CHROMIUM).`);
}

/** Valid while NaturalPerson.mobilePhone is served; GraphiQL marks it once the page holds a schema without it. */
const PROBE = 'query Probe { naturalPerson(idNumber: "110101199003070000") { name mobilePhone } }';
const SERVED = 'mobilePhone: String @policy(policies: [["persons.contact-details"]]) @catalog(mask: "PHONE")';
const WITHDRAWN = 'mobilePhone: String @inaccessible';

const QUERY_EDITOR = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror`;
/** GraphiQL's validation of the query editor against the schema it holds: a mark under each error. */
const LINT_ERRORS = '.graphiql-query-editor .CodeMirror-lint-mark-error';

describeInBrowser('the developer portal follows a schema the gateway reloads', () => {
  let stack: Stack;
  let schemaDir: string;
  let personsSdl: string;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const requests: { method: string; path: string; body: string; at: number }[] = [];
  const pageErrors: string[] = [];

  const introspections = (from = 0) => requests.slice(from).filter((r) => r.path === '/graphql' && r.body.includes('__schema'));
  const identityChecks = (from = 0) => requests.slice(from).filter((r) => r.path === SCHEMA_IDENTITY_PATH);
  const served = async () => ((await (await fetch(`${origin}${SCHEMA_IDENTITY_PATH}`)).json()) as { schema: string }).schema;

  /** Publishes this persons SDL and waits until the gateway serves the supergraph composed from it. */
  async function publishPersons(sdl: string): Promise<string> {
    const before = await served();
    fs.writeFileSync(path.join(schemaDir, 'persons', 'schema.graphql'), sdl);
    for (let tries = 0; tries < 600; tries++) {
      const now = await served();
      if (now !== before) return now;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the gateway did not take the changed persons SDL (or it was already serving it)');
  }

  beforeAll(async () => {
    schemaDir = copiedSchemaDir();
    personsSdl = fs.readFileSync(path.join(schemaDir, 'persons', 'schema.graphql'), 'utf8');
    expect(personsSdl.split(SERVED).length).toBe(2);
    stack = await startStack({ store: 'sqlite', mode: 'in-process', env: { ONESOURCE_SCHEMA_DIR: schemaDir, ONESOURCE_SCHEMA_POLL_MS: '50' } });
    origin = new URL(stack.gatewayUrl).origin;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    context.on('request', (r) => requests.push({ method: r.method(), path: new URL(r.url()).pathname, body: r.postData() ?? '', at: Date.now() }));
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (schemaDir) fs.rmSync(schemaDir, { recursive: true, force: true });
  });

  it('names the schema it serves on every /graphql answer, refusals included, and at a small endpoint', async () => {
    expect(pageSide.SCHEMA_IDENTITY_HEADER).toBe(SCHEMA_IDENTITY_HEADER);
    expect(pageSide.SCHEMA_IDENTITY_PATH).toBe(SCHEMA_IDENTITY_PATH);
    const res = await fetch(`${origin}${SCHEMA_IDENTITY_PATH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { schema } = (await res.json()) as { schema: string };
    expect(schema).toMatch(/^[\w-]{16}$/);
    expect(res.headers.get(SCHEMA_IDENTITY_HEADER)).toBe(schema);
    const answered = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(await stack.as('drc-approval', '测试 schema')) }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(answered.status).toBe(200);
    expect(answered.headers.get(SCHEMA_IDENTITY_HEADER)).toBe(schema);
    const refused = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(refused.status).toBe(401);
    expect(refused.headers.get(SCHEMA_IDENTITY_HEADER)).toBe(schema);
  });

  it('introspects again by itself when a department withdraws a field, and not while nothing changes', async () => {
    const firstSchema = page.waitForResponse((r) => new URL(r.url()).pathname === '/graphql' && (r.request().postData() ?? '').includes('__schema'));
    await page.goto(`${origin}/`);
    await page.waitForSelector('.graphiql-container');
    expect((await firstSchema).status()).toBe(200);
    await page.evaluate(`${QUERY_EDITOR}.setValue(${JSON.stringify(PROBE)})`);
    // Linted against the schema held (codemirror's lint waits 500 ms after an edit): nothing to mark.
    await page.waitForTimeout(1_500);
    await expect(page.locator(LINT_ERRORS).count()).resolves.toBe(0);

    // The docs, open on the type, show the field.
    await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
    await page.fill('.graphiql-doc-explorer-search input', 'NaturalPerson');
    await page.getByRole('option', { name: 'NaturalPerson', exact: true }).first().click();
    await page.locator('.graphiql-doc-explorer-title', { hasText: /^NaturalPerson$/ }).waitFor();
    await expect(page.locator('.graphiql-doc-explorer-content').innerText()).resolves.toContain('mobilePhone');

    // Idle while the schema stays: the page asks which schema is served, a few bytes, and does not introspect.
    const idleFrom = requests.length;
    await page.waitForTimeout(pageSide.SCHEMA_CHECK_MS * 1.5);
    expect(identityChecks(idleFrom).length).toBeGreaterThan(0);
    expect(identityChecks(idleFrom).every((r) => r.method === 'GET')).toBe(true);
    expect(introspections(idleFrom)).toEqual([]);

    // persons withdraws NaturalPerson.mobilePhone; nobody touches the page.
    const changedFrom = requests.length;
    await publishPersons(personsSdl.replace(SERVED, WITHDRAWN));
    const published = Date.now();
    await page.locator(LINT_ERRORS).first().waitFor({ timeout: pageSide.SCHEMA_CHECK_MS * 3 });
    expect(await page.locator(LINT_ERRORS).first().innerText()).toBe('mobilePhone');
    // One introspection for the one change, within a check or so of it.
    const again = introspections(changedFrom);
    expect(again.length).toBeGreaterThanOrEqual(1);
    expect(again.length).toBeLessThanOrEqual(2); // GraphiQL's retry without subscriptions only follows an answer without data
    expect(again[0].at - published).toBeLessThan(pageSide.SCHEMA_CHECK_MS * 2);

    // The docs left open on the type follow too.
    await page.waitForFunction(() => !(globalThis as any).document.querySelector('.graphiql-doc-explorer-content')?.innerText.includes('mobilePhone'), undefined, { timeout: 10_000 });
    await expect(page.locator('.graphiql-doc-explorer-title').innerText()).resolves.toBe('NaturalPerson');
    await expect(page.locator('.graphiql-doc-explorer-content').innerText()).resolves.toContain('householdAddress');

    // Still nothing more while the schema stays.
    const settledFrom = requests.length;
    await page.waitForTimeout(pageSide.SCHEMA_CHECK_MS * 1.5);
    expect(introspections(settledFrom)).toEqual([]);
  }, 120_000);

  it('learns of a change from the answer to a query it runs, without waiting for its next check', async () => {
    // The small endpoint is out of reach: only the /graphql answer can tell the page.
    await page.route(`**${SCHEMA_IDENTITY_PATH}`, (route) => route.abort());
    try {
      await publishPersons(personsSdl);
      const from = requests.length;
      const introspected = page.waitForRequest((r) => new URL(r.url()).pathname === '/graphql' && (r.postData() ?? '').includes('__schema'), { timeout: 10_000 });
      await page.click('.graphiql-execute-button');
      await introspected;
      const ran = requests.slice(from).findIndex((r) => r.path === '/graphql' && r.body.includes('query Probe'));
      expect(ran).toBeGreaterThanOrEqual(0);
      // mobilePhone is served again: GraphiQL no longer marks it.
      await page.waitForFunction((selector) => (globalThis as any).document.querySelectorAll(selector).length === 0, LINT_ERRORS, { timeout: 10_000 });
    } finally {
      await page.unroute(`**${SCHEMA_IDENTITY_PATH}`);
    }
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

/** The page's rule for when to introspect again (gateway/playground/src/schema-identity.ts). */
describe("the developer portal's schema follower", () => {
  it('introspects once per new identity, never before the first introspection is answered, never on an introspection\'s own answer', () => {
    let asked = 0;
    const seen = pageSide.schemaFollower(() => asked++);
    seen('A', false); // the sample read answered before GraphiQL's introspection: that brings the schema anyway
    expect(asked).toBe(0);
    seen('A', true);
    seen('A', false);
    expect(asked).toBe(0);
    seen('B', false);
    expect(asked).toBe(1);
    seen('B', false); // the check before the introspection's answer: not asked twice
    expect(asked).toBe(1);
    seen('B', true); // refused or not, the page holds what B's introspection gave: not asked in circles
    seen('B', false);
    expect(asked).toBe(1);
    seen('C', true); // a token changed and GraphiQL introspected by itself
    seen('C', false);
    expect(asked).toBe(1);
    seen('A', false);
    expect(asked).toBe(2);
  });
});
