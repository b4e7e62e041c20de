import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { readConfig } from '../../shared/config';
import { DEPARTMENTS } from '../../shared/departments';
import { readSdl } from '../../shared/subgraph-server';
import { buildCatalog } from '../catalog/build';
import { SHARING_SCHEMA_FILES, SHARING_SUBGRAPH } from '../sharing';
import { openGatewayStore } from '../store';
import { composeSupergraph, readSubgraphSources } from '../supergraph';
import { annualFigures } from '../usage/annual';
import { FieldOwners } from '../usage/owners';
import { ALL } from '../usage/recorder';
import { usageReport } from '../usage/report';

/** The supergraph `npm run report` composes: the departments' SDL and the gateway's sharing subgraph. */
function reportSupergraph(): string {
  const config = readConfig({});
  return composeSupergraph([
    ...readSubgraphSources(config),
    { name: SHARING_SUBGRAPH, url: `http://127.0.0.1:${config.gatewayPort}/${SHARING_SUBGRAPH}/graphql`, sdl: readSdl({ schemaFile: SHARING_SCHEMA_FILES }) },
  ]);
}

const sorted = <T>(values: T[]) => [...values].sort();

describe('the usage report counts what the catalogue publishes', () => {
  const supergraphSdl = reportSupergraph();
  const catalog = buildCatalog(supergraphSdl);
  const items = catalog.resources.flatMap((r) => r.items);
  const departments = DEPARTMENTS.map((d) => d.name) as readonly string[];
  let dir: string;
  let db: Knex;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-annual-'));
    db = await openGatewayStore(readConfig({ ONESOURCE_DATA_DIR: dir }));
  });
  afterAll(async () => {
    await db?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives the yearly items shared as the catalogue’s items and resources, per department too', async () => {
    const figures = await annualFigures(db, { year: 2026, supergraphSdl, unusedForDays: 90, readiness: null, today: '2026-06-30' });
    expect(figures.itemsShared).toEqual({
      items: items.length,
      unconditional: items.filter((i) => i.shareType === 'UNCONDITIONAL').length,
      conditional: items.filter((i) => i.shareType === 'CONDITIONAL').length,
      resources: catalog.resources.length,
    });
    expect(figures.departments.map((d) => [d.department, d.provided])).toEqual(catalog.departments.map((d) => [d.name, d.items]));
  });

  it('lists as zombie candidates, with nothing used, exactly the catalogue’s items and resources: no Relay plumbing, no root operations', async () => {
    const figures = await annualFigures(db, { year: 2026, supergraphSdl, unusedForDays: 90, readiness: null, today: '2026-06-30' });
    const fields = figures.zombieCandidates.filter((z) => z.kind === 'FIELD');
    const resources = figures.zombieCandidates.filter((z) => z.kind === 'RESOURCE');
    expect(sorted(fields.map((z) => `${z.name} ${z.department}`))).toEqual(sorted(items.map((i) => `${i.coordinate} ${i.owner}`)));
    expect(sorted(resources.map((z) => `${z.name} ${z.department}`))).toEqual(sorted(catalog.resources.map((r) => `${r.name} ${r.owner}`)));
    for (const z of figures.zombieCandidates) expect(z.name).not.toMatch(/^(Query|Mutation)\.|Connection|Edge|PageInfo/);
  });

  it("counts 联通率's calls to the five departments only, not the gateway's calls to its own sharing subgraph", async () => {
    const calls = (department: string, fetches: number, failures: number) =>
      ({ day: '2025-03-01', consumer_id: 'drc-approval', department, coordinate: ALL, fetches, fetch_failures: failures, fetch_ms_total: fetches });
    await db('usage_daily').insert([calls('geo', 10, 1), calls(SHARING_SUBGRAPH, 30, 0)]);
    const figures = await annualFigures(db, { year: 2025, supergraphSdl, unusedForDays: 90, readiness: null, today: '2026-06-30' });
    expect(figures.connectivity).toMatchObject({ calls: 10, answeredCalls: 9, callRate: 0.9 });
  });

  it('leaves out of the zombie candidates what was read, and a resource one of whose items was', async () => {
    await db('usage_daily').insert(
      ['NaturalPerson.name', 'Query.naturalPerson', 'NaturalPersonConnection.edges'].map((coordinate) => ({
        day: '2026-06-01', consumer_id: 'market-portal', department: 'persons', coordinate, requests: 1, items: 1,
      })),
    );
    await db('usage_daily').insert({ day: '2026-06-01', consumer_id: 'market-portal', department: ALL, coordinate: ALL, requests: 1 });
    const report = await usageReport(db, { from: '2026-06-01', to: '2026-06-30', unusedForDays: 90, owners: FieldOwners.fromSupergraph(supergraphSdl), departments });
    const names = report.zombieCandidates.map((z) => z.name);
    expect(names).not.toContain('NaturalPerson.name');
    expect(names).not.toContain('NaturalPerson');
    expect(names).toContain('NaturalPerson.gender');
    expect(report.zombieCandidates).toHaveLength(items.length - 1 + catalog.resources.length - 1);

    // A department operator sees its own published items only.
    const geo = await usageReport(db, { from: '2026-06-01', to: '2026-06-30', department: 'geo', unusedForDays: 90, owners: FieldOwners.fromSupergraph(supergraphSdl), departments });
    expect(sorted(geo.zombieCandidates.filter((z) => z.kind === 'FIELD').map((z) => z.name))).toEqual(sorted(items.filter((i) => i.owner === 'geo').map((i) => i.coordinate)));
    expect(sorted(geo.zombieCandidates.filter((z) => z.kind === 'RESOURCE').map((z) => z.name))).toEqual(sorted(catalog.resources.filter((r) => r.owner === 'geo').map((r) => r.name)));
  });
});
