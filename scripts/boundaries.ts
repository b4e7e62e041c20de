import { Command } from 'commander';
import { readConfig } from '../shared/config';
import { storeLocation } from '../shared/db';
import { today } from '../shared/identifiers';
import { openDepartmentStoreToLoad } from '../shared/subgraph-server';
import { departments } from '../subgraphs';
import { describeBoundaryReport, loadBoundaries, readBoundaryFile } from '../subgraphs/geo/boundaries';
import { progressBar } from '../shared/importing';
import { exitOnWrongUsage, exitWhenWritten } from './exit';
import { fromWhereRun } from './from-where-run';

const program = new Command('boundaries')
  .description("Load surveyed county boundaries into the geo department's own store, over the seed's synthetic grid. A file with any bad feature changes nothing.")
  .option('--dry-run', 'judge the file, and the parcels stored in its counties against their new boundaries, and write nothing')
  .argument('<file>', 'a GeoJSON FeatureCollection (.geojson or .json): one Feature per county, properties.code (or adcode, or XZQDM) its GB/T 2260 code, geometry a Polygon or MultiPolygon in CGCS2000 longitude/latitude')
  .addHelpText('after', '\nThe counties must be in the store already (npm run seed -- --only geo loads the GB/T 2260 codes and names).\nExit code: 0 loaded, 1 features rejected (nothing changed), 2 nothing could be loaded, 3 loaded but the stored parcels could not be judged (run it again) (--dry-run: as the load would).')
  .showHelpAfterError()
  .exitOverride(exitOnWrongUsage);

async function main(): Promise<number> {
  program.parse();
  const file = fromWhereRun((program.processedArgs as [string])[0]);
  const { dryRun } = program.opts<{ dryRun?: boolean }>();
  const config = readConfig();
  const location = storeLocation(config, 'geo');
  console.log(`${dryRun ? 'Dry run (nothing will change): loading' : 'Loading'} county boundaries from ${file} into geo on ${location.client === 'mysql2' ? `MySQL database ${location.where}` : `SQLite ${location.where}`}`);
  // The file first: the store is opened only for a file that holds boundaries at all.
  const read = readBoundaryFile(file);
  if ('refused' in read) {
    console.error(`Nothing loaded: ${read.refused}`);
    return 2;
  }
  const opened = await openDepartmentStoreToLoad(config, departments.geo, Boolean(dryRun));
  if ('refused' in opened) {
    console.error(`Nothing tried: ${opened.refused}`);
    return 2;
  }
  const { db } = opened;
  try {
    const report = await loadBoundaries(db, file, read.features, { today: today(), progress: progressBar('judging stored parcels', 'parcels'), dryRun });
    const lines = describeBoundaryReport(report);
    const summary = lines.pop()!;
    lines.forEach((line) => console.error(line));
    (report.outcome.kind === 'complete' ? console.log : console.error)(summary);
    if (report.outcome.kind === 'complete') return report.parcels?.kind === 'judged' ? 0 : 3;
    return report.outcome.kind === 'rejected' ? 1 : 2;
  } finally {
    await db.destroy();
  }
}

main().then(
  exitWhenWritten,
  (e) => {
    console.error(`boundaries failed: ${e.message}`);
    exitWhenWritten(2);
  },
);
