import { readSdl } from '../shared/subgraph-server';
import { SHARING_SCHEMA_FILES } from '../gateway/sharing';
import fs from 'node:fs';
import path from 'node:path';
import { isObjectType, parse, Kind } from 'graphql';
import { DEPARTMENTS } from '../shared/departments';
import { readConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { buildCatalog, CatalogItem } from '../gateway/catalog/build';
import type { PublishedCatalog, PublishedItem } from '../gateway/catalog/grants';
import { apiSchemaOf } from '../gateway/schema-change';
import { LiveSupergraph, supergraphReloader } from '../gateway/supergraph-reload';
import { composeSupergraph, executableSupergraph, readSubgraphSources, SubgraphSource } from '../gateway/supergraph';
import { describeWithStore, Stack, startStack, StoreKind } from './support/stack';
import { copiedSchemaDir } from './support/schema-dir';

const SHARING_SDL = readSdl({ schemaFile: SHARING_SCHEMA_FILES });
const SHARING_TYPES = new Set(parse(SHARING_SDL).definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : [])));
const isPlumbing = (name: string) => name === 'PageInfo' || /(Connection|Edge)$/.test(name);

const CATALOG = `query Catalogue($consumer: ID) { catalog(consumer: $consumer) {
  version readableBy
  departments { name department store resources items }
  resources { name kind owner ownerDepartment updateCycle keys items {
    name coordinate description owner shareType resources conditions updateCycle format mask grantedTo maskedFor readable } }
  conditionalResources { name owner items grantedTo maskedFor readable }
} }`;

function editSdl(sdl: string, edits: [string, string][]): string {
  for (const [from, to] of edits) {
    if (!sdl.includes(from)) throw new Error(`the SDL has no ${from}`);
    // An edit meant for one field must not land on another written alike.
    if (sdl.indexOf(from) !== sdl.lastIndexOf(from)) throw new Error(`the SDL has ${from} more than once: give more of its context`);
    sdl = sdl.replace(from, to);
  }
  return sdl;
}

const itemsOf = (catalog: { resources: { items: CatalogItem[] }[] }) => new Map<string, PublishedItem>(catalog.resources.flatMap((r) => r.items.map((i) => [i.coordinate, i as PublishedItem])));

function defineCatalogSuite(store: StoreKind) {
  describeWithStore(store, 'the resource catalogue', () => {
    let stack: Stack;
    let schemaDir: string;

    beforeAll(async () => {
      schemaDir = copiedSchemaDir();
      stack = await startStack({ store, mode: 'in-process', env: { ONESOURCE_SCHEMA_DIR: schemaDir, ONESOURCE_SCHEMA_POLL_MS: '50' } });
    }, 300_000);
    afterAll(async () => {
      await stack?.stop();
      if (schemaDir) fs.rmSync(schemaDir, { recursive: true, force: true });
    });

    it('lists every shared field of the supergraph with its owner and share type, and omits not-shared ones', async () => {
      const answer = await stack.query(CATALOG);
      expect(answer.errors).toBeUndefined();
      const catalog = answer.data.catalog;
      const items = itemsOf(catalog);

      // Against the API schema consumers see: every field of every department type is listed, nothing else.
      const supergraph = composeSupergraph(readSubgraphSources(stack.config));
      const api = apiSchemaOf(supergraph);
      const expected = new Set<string>();
      for (const type of Object.values(api.getTypeMap())) {
        if (!isObjectType(type) || type.name.startsWith('__') || ['Query', 'Mutation'].includes(type.name)) continue;
        if (SHARING_TYPES.has(type.name) || isPlumbing(type.name)) continue;
        for (const field of Object.keys(type.getFields())) expected.add(`${type.name}.${field}`);
      }
      expect([...items.keys()].sort()).toEqual([...expected].sort());
      expect(items.has('NaturalPerson.householdDivisionCode')).toBe(false); // @inaccessible: not shared, not published

      // Owner: the subgraph that resolves the field (一数一源), read from @join__field / @join__type.
      expect(items.get('NaturalPerson.name')).toMatchObject({ owner: 'persons', shareType: 'UNCONDITIONAL', format: 'String!', description: '姓名', updateCycle: '实时' });
      expect(items.get('NaturalPerson.credit')).toMatchObject({ owner: 'credit', shareType: 'UNCONDITIONAL', format: 'CreditProfile!' });
      expect(items.get('NaturalPerson.idNumber')).toMatchObject({ owner: 'persons', format: 'ID!' });
      expect(items.get('LegalPerson.investmentProjects')).toMatchObject({ owner: 'projects', format: '[InvestmentProject!]!' });
      expect(items.get('LandParcel.geometry')).toMatchObject({ owner: 'geo', format: 'GeoJSON!', updateCycle: '每月' });
      expect(items.get('AdministrativeDivision.name')).toMatchObject({ owner: 'geo', updateCycle: '每年' });
      const person = catalog.resources.find((r: any) => r.name === 'NaturalPerson');
      expect(person).toMatchObject({ kind: 'ENTITY', owner: 'persons', ownerDepartment: 'Public Security 公安', keys: ['idNumber'] });
      expect(catalog.resources.find((r: any) => r.name === 'CreditProfile')).toMatchObject({ kind: 'VALUE', owner: 'credit', updateCycle: '每日' });
      expect(catalog.departments.map((d: any) => d.name)).toEqual(DEPARTMENTS.map((d) => d.name));
    });

    it('shows conditional items with their resource, conditions, mask and the consumers holding grants', async () => {
      const { catalog } = (await stack.query(CATALOG)).data;
      const items = itemsOf(catalog);
      expect(items.get('NaturalPerson.householdAddress')).toMatchObject({
        shareType: 'CONDITIONAL', resources: ['persons.contact-details'], mask: 'ADDRESS', format: 'String',
        grantedTo: ['drc-approval', 'housing-permit'], maskedFor: ['housing-permit'],
      });
      expect(items.get('NaturalPerson.householdAddress')!.conditions).toMatch(/persons\.contact-details.*X-Purpose/);
      expect(items.get('NaturalPerson.mobilePhone')).toMatchObject({ shareType: 'CONDITIONAL', mask: 'PHONE', grantedTo: ['drc-approval', 'housing-permit'] });
      // tax-service has only applied: no grant in force.
      expect(items.get('CreditProfile.entries')).toMatchObject({ shareType: 'CONDITIONAL', resources: ['credit.records'], format: '[CreditEntry!]', grantedTo: ['drc-approval'] });
      expect(items.get('NaturalPerson.name')!.grantedTo).toEqual([]);
      expect(catalog.conditionalResources).toEqual([
        // A credit entry is reached only through CreditProfile.entries: its items are read under that grant too.
        {
          name: 'credit.records', owner: 'credit',
          items: ['CreditEntry.kind', 'CreditEntry.reason', 'CreditEntry.authority', 'CreditEntry.documentNumber', 'CreditEntry.decidedOn', 'CreditEntry.expiresOn', 'CreditProfile.entries'],
          grantedTo: ['drc-approval'], maskedFor: [], readable: true,
        },
        {
          name: 'persons.contact-details', owner: 'persons', items: ['NaturalPerson.householdAddress', 'NaturalPerson.mobilePhone'],
          grantedTo: ['drc-approval', 'housing-permit'], maskedFor: ['housing-permit'], readable: true,
        },
        // Reading the whole register is a resource of its own, granted to the consistency checks alone.
        { name: 'persons.register-scan', owner: 'persons', items: ['Query.allNaturalPersons'], grantedTo: ['data-quality'], maskedFor: [], readable: false },
      ]);
    });

    it('says whether a consumer may read each item: the caller by default, or the consumer named', async () => {
      const mine = itemsOf((await stack.query(CATALOG, {}, await stack.as('market-portal'))).data.catalog);
      expect(mine.get('NaturalPerson.name')!.readable).toBe(true);
      expect(mine.get('NaturalPerson.householdAddress')!.readable).toBe(false);
      expect(mine.get('CreditProfile.entries')!.readable).toBe(false);
      expect(mine.get('CreditEntry.kind')).toMatchObject({ shareType: 'CONDITIONAL', resources: ['credit.records'], readable: false });

      const housing = (await stack.query(CATALOG, { consumer: 'housing-permit' })).data.catalog;
      expect(housing.readableBy).toBe('housing-permit');
      const items = itemsOf(housing);
      expect(items.get('NaturalPerson.householdAddress')!.readable).toBe(true);
      expect(items.get('CreditProfile.entries')!.readable).toBe(false);
      const unknown = itemsOf((await stack.query(CATALOG, { consumer: 'nobody-registered' })).data.catalog);
      expect(unknown.get('NaturalPerson.name')!.readable).toBe(false);
      // A department's operators read their own department's conditional items without a grant.
      const credit = (await stack.query(CATALOG, { consumer: 'dept-credit' })).data.catalog;
      expect(itemsOf(credit).get('CreditProfile.entries')!.readable).toBe(true);
      expect(itemsOf(credit).get('NaturalPerson.householdAddress')!.readable).toBe(false);
      expect(credit.conditionalResources.map((r: { name: string; readable: boolean }) => [r.name, r.readable])).toEqual([
        ['credit.records', true], ['persons.contact-details', false], ['persons.register-scan', false],
      ]);
    });

    it('serves the same catalogue as /catalog.json and as a self-contained page, without a token', async () => {
      const base = stack.gatewayUrl.replace(/\/graphql$/, '');
      const viaQuery = (await stack.query(CATALOG, { consumer: 'market-portal' })).data.catalog;
      const json = await fetch(`${base}/catalog.json?consumer=market-portal`);
      expect(json.status).toBe(200);
      const published = (await json.json()) as PublishedCatalog;
      expect(published.version).toBe(viaQuery.version);
      expect([...itemsOf(published).keys()].sort()).toEqual([...itemsOf(viaQuery).keys()].sort());
      expect(itemsOf(published).get('NaturalPerson.householdAddress')).toMatchObject({ readable: false, grantedTo: ['drc-approval', 'housing-permit'] });

      const page = await fetch(`${base}/catalog`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      expect(html).toContain('政务信息资源目录');
      expect(html).toContain('有条件共享 Conditional');
      expect(html).toContain('persons.contact-details');
      expect(html).not.toContain('householdDivisionCode');
      // Self-contained: no script, nothing fetched from anywhere.
      expect(html).not.toMatch(/<script|<link|src=|url\(/i);
      expect(html).not.toContain('可读 Readable');

      // For one consumer, the page says what it may read, as the JSON does.
      const forPortal = await (await fetch(`${base}/catalog?consumer=market-portal`)).text();
      expect(forPortal).toContain('<th>market-portal 可读 Readable</th>');
      // An item's row in its resource's table.
      const row = (coordinate: string) => {
        const resource = published.resources.find((r) => r.items.some((i) => i.coordinate === coordinate))!;
        const item = resource.items.find((i) => i.coordinate === coordinate)!;
        const table = forPortal.split('<h2 id="').find((part) => part.startsWith(`${resource.name}"`))!;
        return table.split('\n').find((line) => line.startsWith(`<tr><td><code>${item.name}</code>`));
      };
      const readable = [...itemsOf(published).entries()].find(([, i]) => i.readable)![0];
      expect(row('NaturalPerson.householdAddress')).toMatch(/<td>否 No<\/td><\/tr>$/);
      expect(row(readable)).toMatch(/<td>是 Yes<\/td><\/tr>$/);
      expect(forPortal).toContain('href="/catalog.json?consumer=market-portal"');
    });

    it('changes when a subgraph schema changes, without a restart', async () => {
      const before = (await stack.query(CATALOG)).data.catalog;
      const file = path.join(schemaDir, 'persons', 'schema.graphql');
      fs.writeFileSync(
        file,
        editSdl(fs.readFileSync(file, 'utf8'), [
          ['"姓名"\n  name: String!', '"姓名 (as registered, 户籍登记姓名)"\n  name: String!'],
          ['@key(fields: "idNumber") @catalog(updateCycle: "实时")', '@key(fields: "idNumber") @catalog(updateCycle: "每日")'],
          ['mobilePhone: String @policy(policies: [["persons.contact-details"]]) @catalog(mask: "PHONE")', 'mobilePhone: String @inaccessible'],
        ]),
      );
      // Wait for the gateway's poll to pick it up (condition, not a fixed delay).
      const base = stack.gatewayUrl.replace(/\/graphql$/, '');
      let published: PublishedCatalog | undefined;
      for (let tries = 0; tries < 600; tries++) {
        published = (await (await fetch(`${base}/catalog.json`)).json()) as PublishedCatalog;
        if (published.version !== before.version) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(published!.version).not.toBe(before.version);

      const after = (await stack.query(CATALOG)).data.catalog;
      expect(after.version).toBe(published!.version);
      const items = itemsOf(after);
      expect(items.get('NaturalPerson.name')).toMatchObject({ description: '姓名 (as registered, 户籍登记姓名)', updateCycle: '每日' });
      expect(items.has('NaturalPerson.mobilePhone')).toBe(false);
      expect(after.conditionalResources.find((r: any) => r.name === 'persons.contact-details').items).toEqual(['NaturalPerson.householdAddress']);
      // The served graph followed too: the field is no longer in the federated schema.
      const gone = await stack.query(`{ naturalPerson(idNumber: "110101199003070000") { mobilePhone } }`);
      expect(gone.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });
  });
}

defineCatalogSuite('sqlite');
defineCatalogSuite('mysql');

describe('the catalogue and share rules follow the full supergraph when it is reloaded', () => {
  const config = readConfig({});
  const logger = createLogger('test', 'silent');
  let sources: SubgraphSource[];
  const persons = () => sources.find((s) => s.name === 'persons')!;

  beforeEach(() => {
    sources = readSubgraphSources(config);
  });

  it('derives the catalogue from the SDL alone (a pure function)', () => {
    const sdl = composeSupergraph(sources);
    expect(buildCatalog(sdl)).toEqual(buildCatalog(sdl));
    // The executable copy has no @policy: a catalogue from it would call everything unconditional.
    const items = itemsOf(buildCatalog(sdl));
    expect(items.get('NaturalPerson.householdAddress')!.shareType).toBe('CONDITIONAL');
    expect(executableSupergraph(sdl)).not.toMatch(/@policy\(/);
  });

  it('keeps the old supergraph when the changed SDL does not compose, and takes the next one that does', () => {
    const live = new LiveSupergraph(composeSupergraph(sources));
    const served: string[] = [];
    const reloader = supergraphReloader({ live, readSources: () => sources, executable: executableSupergraph, logger });
    reloader.attach((sdl) => served.push(sdl));
    const original = live.sdl();
    expect(reloader.check()).toEqual({ kind: 'UNCHANGED' });

    // A field both persons and geo resolve without @shareable: composition fails.
    const broken = editSdl(persons().sdl, [['type AdministrativeDivision @key(fields: "code", resolvable: false) {\n  code: ID!', 'type AdministrativeDivision @key(fields: "code", resolvable: false) {\n  code: ID!\n  name: String!']]);
    sources = sources.map((s) => (s.name === 'persons' ? { ...s, sdl: broken } : s));
    // A change is taken once two looks in a row read it alike.
    expect(reloader.check()).toEqual({ kind: 'SETTLING' });
    const failed = reloader.check();
    expect(failed.kind).toBe('FAILED');
    expect(live.sdl()).toBe(original);
    expect(served).toEqual([]);

    // Now `name` becomes conditional: rules follow the full supergraph, the gateway gets the copy without @policy.
    sources = readSubgraphSources(config).map((s) =>
      s.name === 'persons' ? { ...s, sdl: editSdl(s.sdl, [['  "姓名"\n  name: String!\n', '  "姓名"\n  name: String! @policy(policies: [["persons.names"]])\n']]) } : s,
    );
    expect(reloader.check()).toEqual({ kind: 'SETTLING' });
    expect(reloader.check().kind).toBe('UPDATED');
    expect(live.rules().field('NaturalPerson', 'name')?.policies).toEqual([['persons.names']]);
    expect(itemsOf(live.catalog()).get('NaturalPerson.name')!.shareType).toBe('CONDITIONAL');
    expect(served).toHaveLength(1);
    expect(served[0]).not.toMatch(/@policy\(/);
    expect(parse(served[0]).definitions.some((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'NaturalPerson')).toBe(true);
    expect(reloader.check()).toEqual({ kind: 'UNCHANGED' });
  });

  it('takes a change written while the gateway started, after it composed its first supergraph and before the reloader\'s first look', () => {
    const live = new LiveSupergraph(composeSupergraph(sources));
    const composedFrom = sources;
    sources = sources.map((s) => (s.name === 'persons' ? { ...s, sdl: editSdl(s.sdl, [['  "姓名"\n  name: String!\n', '  "姓名"\n  name: String!\n  "曾用名"\n  formerName: String\n']]) } : s));
    const reloader = supergraphReloader({ live, readSources: () => sources, servedSources: composedFrom, executable: executableSupergraph, logger });
    reloader.attach(() => {});
    expect(reloader.check()).toEqual({ kind: 'SETTLING' });
    expect(reloader.check().kind).toBe('UPDATED');
    expect(live.sdl()).toMatch(/formerName/);
  });

  it('says each change that does not compose, even where the problems read as the last ones', () => {
    const errors: unknown[] = [];
    const told = { ...logger, error: (...args: unknown[]) => errors.push(args) } as unknown as typeof logger;
    const live = new LiveSupergraph(composeSupergraph(sources));
    const reloader = supergraphReloader({ live, readSources: () => sources, executable: executableSupergraph, logger: told });
    const broken = editSdl(persons().sdl, [['type AdministrativeDivision @key(fields: "code", resolvable: false) {\n  code: ID!', 'type AdministrativeDivision @key(fields: "code", resolvable: false) {\n  code: ID!\n  name: String!']]);
    sources = sources.map((s) => (s.name === 'persons' ? { ...s, sdl: broken } : s));
    reloader.check();
    expect(reloader.check().kind).toBe('FAILED');
    expect(reloader.check()).toEqual({ kind: 'UNCHANGED' });
    expect(errors).toHaveLength(1);
    // Another department's valid change, held up by the broken file: said again.
    sources = sources.map((s) => (s.name === 'geo' ? { ...s, sdl: `${s.sdl}\n` } : s));
    reloader.check();
    expect(reloader.check().kind).toBe('FAILED');
    expect(errors).toHaveLength(2);
  });

  it('does not serve a file read while it is being written: a change is taken once it reads the same twice', () => {
    const live = new LiveSupergraph(composeSupergraph(sources));
    const served: string[] = [];
    const reloader = supergraphReloader({ live, readSources: () => sources, executable: executableSupergraph, logger });
    reloader.attach((sdl) => served.push(sdl));
    const original = live.sdl();
    // The department publishes its SDL with Query moved to the end; a look while it is written reads
    // the file up to Query: a smaller schema that composes, without any of persons' root fields.
    const whole = persons().sdl;
    const queryStart = whole.lastIndexOf('"""', whole.indexOf('type Query') - 5);
    const queryEnd = whole.indexOf('\n}\n', whole.indexOf('type Query')) + 3;
    const queryLast = `${whole.slice(0, queryStart)}${whole.slice(queryEnd)}\n${whole.slice(queryStart, queryEnd)}`;
    const firstPart = queryLast.slice(0, queryLast.indexOf(whole.slice(queryStart, queryEnd)));
    expect(composeSupergraph(sources.map((s) => (s.name === 'persons' ? { ...s, sdl: firstPart } : s)))).not.toMatch(/verifyNaturalPerson/);
    for (const sdl of [firstPart, queryLast]) {
      sources = sources.map((s) => (s.name === 'persons' ? { ...s, sdl } : s));
      expect(reloader.check()).toEqual({ kind: 'SETTLING' });
    }
    expect(live.sdl()).toBe(original);
    expect(served).toEqual([]);
    // Written out, and read alike at the next look: the same supergraph as before, root fields and all.
    expect(reloader.check()).toEqual({ kind: 'UNCHANGED' });
    expect(served).toEqual([]);
    expect(live.sdl()).toBe(original);
    expect(original).toMatch(/verifyNaturalPerson/);
  });
});
