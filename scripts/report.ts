import { Command } from 'commander';
import { readConfig } from '../shared/config';
import { DEPARTMENTS } from '../shared/departments';
import { internalSigner } from '../shared/internal-token';
import { loadPrivateKey } from '../shared/keys';
import { readinessProbe, Readiness } from '../gateway/operations/readiness';
import { gatewaySubgraphSources } from '../gateway/prepare';
import { composeSupergraph } from '../gateway/supergraph';
import { annualFigures, AnnualFigures } from '../gateway/usage/annual';
import { MAX_DAYS } from '../gateway/usage/query';
import { openExistingGatewayStore, wholeNumber } from './cli-options';
import { exitOnWrongUsage } from './exit';

/** `npm run report -- --year 2026`: 三数一率 and each department's provided/used counts. */
const program = new Command('report')
  .description("Yearly sharing figures (三数一率) from the supergraph and the gateway's usage records")
  .option('--year <yyyy>', 'the calendar year (UTC)', wholeNumber({ min: 2000, max: 9999, accepts: 'a year like 2026, from 2000 to 9999' }), new Date().getUTCFullYear())
  .option('--unused-days <n>', 'a field or resource unused this many days (up to the end of the year, or today) is a zombie candidate', wholeNumber({ min: 1, max: MAX_DAYS, of: 'days' }), 90)
  .option('--json', 'print the figures as JSON')
  .addHelpText('after', '\nExit code: 0 printed, 1 the figures could not be made (no gateway store in ONESOURCE_DATA_DIR, or the store failed; nothing is created), 2 wrong usage.')
  .exitOverride(exitOnWrongUsage)
  .parse();

async function main() {
  const { year, unusedDays: unusedForDays, json } = program.opts<{ year: number; unusedDays: number; json?: boolean }>();

  const config = readConfig();
  const db = await openExistingGatewayStore(config);
  try {
    const supergraphSdl = composeSupergraph(gatewaySubgraphSources(config, config.gatewayPort));
    const figures = await annualFigures(db, { year, supergraphSdl, unusedForDays, readiness: await probeDepartments(config) });
    console.log(json ? JSON.stringify(figures, null, 2) : render(figures));
  } finally {
    await db.destroy();
  }
}

/** Connectivity measured now, as the gateway's /ready measures it; null where this machine cannot sign. */
async function probeDepartments(config: ReturnType<typeof readConfig>): Promise<Readiness | null> {
  try {
    const { key, kid } = await loadPrivateKey(config.dataDir, 'gateway-signing');
    return await readinessProbe(DEPARTMENTS.map(({ name }) => ({ name, url: config.subgraphs[name].url })), internalSigner(key, kid)).check();
  } catch {
    return null;
  }
}

const pct = (r: number | null) => (r === null ? 'not measured' : `${(r * 100).toFixed(1)}%`);
const n = (v: number) => v.toLocaleString('en-US');

function render(f: AnnualFigures): string {
  const c = f.connectivity;
  const lines = [
    `OneSource ${f.year} — 三数一率`,
    '',
    `Systems connected   接入系统数   ${f.systemsConnected.connected} of ${f.systemsConnected.registered} registered consumer systems made requests`,
    `Items shared        共享数据项   ${f.itemsShared.items} data items in ${f.itemsShared.resources} resources (${f.itemsShared.unconditional} unconditional, ${f.itemsShared.conditional} conditional)`,
    `Applications served 应用服务数   ${n(f.applicationsServed.requests)} requests served; ${f.applicationsServed.applicationsApproved} of ${f.applicationsServed.applicationsDecided} access applications decided were approved`,
    `Connectivity rate   联通率       ${pct(c.rate)} (${c.answering ?? '?'} of ${c.departments} departments answering now); ${c.calls ? `${pct(c.callRate)} of ${n(c.calls)} calls to departments answered in ${f.year}` : `no calls to departments recorded in ${f.year}`}`,
    '',
    'Department       provided  used  requests     items  errors  avg call ms',
    ...f.departments.map((d) =>
      `${d.department.padEnd(16)} ${String(d.provided).padStart(8)} ${String(d.used).padStart(5)} ${n(d.requests).padStart(9)} ${n(d.items).padStart(9)} ${n(d.errors).padStart(7)} ${(d.averageCallMs === null ? '-' : d.averageCallMs.toFixed(1)).padStart(12)}`),
    '',
    `Zombie candidates (no use in the last ${f.unusedForDays} days): ${f.zombieCandidates.length}`,
    ...f.zombieCandidates.map((z) => `  ${z.kind === 'RESOURCE' ? 'resource' : 'field   '} ${z.name.padEnd(44)} ${z.department}${z.promised ? '  (the contract promises it: keep)' : ''}`),
  ];
  return lines.join('\n');
}

main().catch((e) => {
  console.error(`report: ${e.message}`);
  process.exit(1);
});
