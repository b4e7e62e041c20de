import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import { readConfig } from '../../shared/config';
import { openGatewayStore } from '../store';
import { consistencyRuns, STALE_AFTER_MS } from '../quality/runs';

/**
 * Several gateway processes share one store (replicas, cluster workers). One that starts must
 * fail only the consistency runs whose gateway has stopped, not a run another one is doing.
 */
describe('consistency runs left behind by a stopped gateway', () => {
  let dir: string;
  let db: Knex;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-runs-'));
    db = await openGatewayStore(readConfig({ ONESOURCE_DATA_DIR: dir }));
  });
  afterAll(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const row = (heartbeat: string | null) => ({ requested_by: 'data-quality', status: 'RUNNING', started_at: new Date().toISOString(), heartbeat_at: heartbeat, progress: 'persons page 3' });
  const status = async (id: number) => (await db('consistency_runs').where({ id }).first()) as { status: string; error: string | null };

  it('fails the runs whose gateway went silent, and only those', async () => {
    const now = Date.now();
    const [silent] = await db('consistency_runs').insert(row(new Date(now - STALE_AFTER_MS - 10_000).toISOString()));
    const [beforeHeartbeats] = await db('consistency_runs').insert(row(null));
    const [alive] = await db('consistency_runs').insert(row(new Date(now - 2_000).toISOString()));

    await consistencyRuns(db, async () => ({}), logger).recover(now);

    expect(await status(silent)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/interrupted/) });
    expect(await status(beforeHeartbeats)).toMatchObject({ status: 'FAILED' });
    expect(await status(alive)).toMatchObject({ status: 'RUNNING', error: null });
  });

  it('a run in progress in one gateway survives another gateway starting, and is failed once it falls silent', async () => {
    let release!: (e: Error) => void;
    const hanging = new Promise<never>((_resolve, reject) => (release = reject));
    const worker = consistencyRuns(db, () => hanging, logger);
    const run = await worker.start('data-quality');
    expect(run.status).toBe('RUNNING');

    const another = consistencyRuns(db, async () => ({}), logger);
    await another.recover();
    expect((await another.get(run.id))!.status).toBe('RUNNING');

    // Seen from a minute later, with no heartbeat since: its gateway is taken to have stopped.
    await another.recover(Date.now() + 60_000);
    expect(await another.get(run.id)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/interrupted/) });

    release(new Error('stopped'));
  });
});
