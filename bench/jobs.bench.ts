/**
 * Job queue throughput and claim latency with real worker processes (fixtures/worker-process.ts
 * in bench mode: a no-op handler, so the figures measure the queue itself).
 *
 * Method: the jobs are inserted first with a run_at far in the future, then made due at one
 * instant T0 with a single UPDATE, so insert time is not counted. Throughput = jobs /
 * (latest finished_at − T0). Claim latency = round trip of each claim statement, over every
 * claim of every worker process.
 */
import { sql } from 'kysely';
import { createTestDatabase, postgresUnavailable } from '../test/support/db.ts';
import type { DialectName } from '../src/platform/db/index.ts';
import { migrate } from '../src/platform/db/migrations.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { createJobQueue, jobsMigrations } from '../src/platform/jobs/index.ts';
import { spawnWorker } from '../src/platform/jobs/fixtures/spawn.ts';
import { percentile, type BenchRow } from './lib.ts';

const SUITE = 'jobs';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Scenario {
  dialect: DialectName;
  workers: number;
  jobs: number;
}

async function run({ dialect, workers, jobs }: Scenario): Promise<BenchRow[]> {
  const label = `${dialect}, ${workers} worker process${workers > 1 ? 'es' : ''}`;
  const td = await createTestDatabase(dialect);
  const database = await td.open();
  const children = [];
  try {
    await migrate(database, jobsMigrations);
    const queue = createJobQueue({ database, logger: createLogger('silent') });
    const farFuture = Date.now() + 3_600_000;
    for (let i = 0; i < jobs; i += 2000) {
      await queue.enqueueMany('bench', Array.from({ length: Math.min(2000, jobs - i) }, (_, k) => ({ payload: { n: i + k }, runAt: farFuture })));
    }
    for (let w = 0; w < workers; w++) {
      children.push(
        spawnWorker({
          XDRHUB_JOBS_DB: td.url,
          XDRHUB_JOBS_OUT: td.dataDir,
          XDRHUB_JOBS_MODE: 'bench',
          XDRHUB_JOBS_WORKER_ID: `bench-${w}`,
          XDRHUB_JOBS_CONCURRENCY: '64',
          XDRHUB_JOBS_BATCH: '64',
          XDRHUB_JOBS_POLL_MS: '20',
          XDRHUB_JOBS_POOL: '3',
        }),
      );
    }
    await Promise.all(children.map((c) => c.ready));
    const t0 = Date.now() + 200;
    await sql`update jobs set run_at = ${t0}`.execute(database.db);
    const deadline = Date.now() + 40_000;
    for (;;) {
      await sleep(250);
      const { rows } = await sql<{ n: number }>`select count(*) as n from jobs where status = 'succeeded'`.execute(database.db);
      if (Number(rows[0].n) >= jobs) break;
      if (Date.now() > deadline) throw new Error(`${label}: only ${rows[0].n} of ${jobs} jobs done after 40 s`);
    }
    const { rows } = await sql<{ last: number }>`select max(finished_at) as last from jobs`.execute(database.db);
    const seconds = (Number(rows[0].last) - t0) / 1000;
    const stats = await Promise.all(children.map((c) => c.stop()));
    const latencies = stats.flatMap((s) => s.claimLatencies);
    const perWorker = stats.map((s) => s.worker.succeeded).join(' / ');
    const note = `${jobs} no-op jobs, concurrency 64 and claim batch 64 per process; jobs per process ${perWorker}`;
    return [
      { suite: SUITE, name: `throughput (${label})`, value: Math.round(jobs / seconds), unit: 'jobs/s', note },
      { suite: SUITE, name: `claim latency p50 (${label})`, value: +percentile(latencies, 50).toFixed(2), unit: 'ms', note: `${latencies.length} claim statements` },
      { suite: SUITE, name: `claim latency p99 (${label})`, value: +percentile(latencies, 99).toFixed(2), unit: 'ms', note: `${latencies.length} claim statements` },
    ];
  } finally {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.kill();
    await database.close();
    await td.drop();
  }
}

export default async function (): Promise<BenchRow[]> {
  const rows = await run({ dialect: 'sqlite', workers: 1, jobs: 5000 });
  const pgMissing = await postgresUnavailable();
  if (pgMissing) {
    for (const workers of [1, 4]) {
      rows.push({ suite: SUITE, name: `throughput (postgres, ${workers} worker processes)`, value: NaN, unit: 'jobs/s', note: `skipped: ${pgMissing}` });
    }
    return rows;
  }
  rows.push(...(await run({ dialect: 'postgres', workers: 1, jobs: 6000 })));
  rows.push(...(await run({ dialect: 'postgres', workers: 4, jobs: 12000 })));
  return rows;
}
