import cluster from 'node:cluster';
import http from 'node:http';
import { drainWhenPrimaryGoes, startClusterPrimary } from '../../gateway/cluster';
import { createLogger } from '../../shared/logger';
import { stopOnSignals } from '../../scripts/signals';

/**
 * The gateway's `node:cluster` life cycle around a stand-in server, as scripts/gateway.ts runs it:
 * a primary (gateway/cluster.ts) whose one-time work takes PREPARE_MS, and two workers answering
 * every request on PORT after ANSWER_AFTER_MS. It prints what happens as lines on stdout
 * (`preparing`, `prepared`, `listening`, `received <pid>`) for the test to wait on.
 */
const logger = createLogger('cluster-test', 'info');
const say = (line: string) => process.stdout.write(`${line}\n`);

async function primary() {
  const running = startClusterPrimary({
    workers: 2,
    logger,
    prepare: async () => {
      // A SIGTERM as the work begins (the test's deterministic stand-in for one that comes then).
      if (process.env.SIGTERM_AS_PREPARE_BEGINS) process.kill(process.pid, 'SIGTERM');
      say('preparing');
      await new Promise((r) => setTimeout(r, Number(process.env.PREPARE_MS ?? 0)));
      say('prepared');
    },
  });
  stopOnSignals(running.stop, logger, 25_000);
  if (await running.started) say('listening');
}

function worker() {
  const server = http.createServer((req, res) => {
    say(`received ${process.pid}`);
    req.resume();
    setTimeout(() => res.end(`answered by ${process.pid}`), Number(process.env.ANSWER_AFTER_MS ?? 0));
  });
  // Once listening, as the gateway does: the channel to the primary keeps no process alive by itself.
  server.listen(Number(process.env.PORT), () => {
    const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
    process.on('SIGINT', () => {});
    stopOnSignals(stop, logger, undefined, ['SIGTERM']);
    drainWhenPrimaryGoes();
  });
}

if (cluster.isPrimary) void primary();
else worker();
