/**
 * Real worker processes: one killed with SIGKILL mid-job, and (PostgreSQL) two sharing a queue.
 * The children run fixtures/worker-process.ts under `node --import tsx`.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase, dialectsUnderTest, type TestDatabase } from '../../../test/support/db.ts';
import type { Database } from '../db/index.ts';
import { migrate } from '../db/migrations.ts';
import { createLogger } from '../log/index.ts';
import { createJobQueue, jobsMigrations, type JobQueue } from './index.ts';
import { appendJobHandler, linesOf } from './fixtures/handlers.ts';
import { spawnWorker, type WorkerProcess } from './fixtures/spawn.ts';

const logger = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

for (const d of await dialectsUnderTest()) {
  describe(`job worker processes on ${d.dialect}`, { skip: d.skip }, () => {
    let td: TestDatabase;
    let database: Database;
    const children: WorkerProcess[] = [];
    const queues: JobQueue[] = [];

    before(async () => {
      td = await createTestDatabase(d.dialect);
      database = await td.open();
      await migrate(database, jobsMigrations);
    });
    after(async () => {
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.kill();
      for (const q of queues) await q.stop({ drainMs: 100 });
      await database?.close();
      await td?.drop();
    });

    function outDir(name: string): string {
      const dir = path.join(td.dataDir, name);
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    }

    function startChild(env: Record<string, string>): WorkerProcess {
      const child = spawnWorker({ XDRHUB_JOBS_DB: td.url, ...env });
      children.push(child);
      return child;
    }

    /** The worker that takes over after the crash: same handler code, this process. */
    async function takeOver(out: string, checkRealState: boolean): Promise<JobQueue> {
      const q = createJobQueue({ database, logger, pollMs: 30, reapIntervalMs: 50 });
      queues.push(q);
      q.register('append', appendJobHandler({ effectFile: path.join(out, 'effects.log'), progressFile: path.join(out, 'progress.log'), hang: 'none', checkRealState }), {
        concurrency: 4,
        leaseMs: 1000,
      });
      await q.start();
      return q;
    }

    async function killedInsideEffect(name: string, checkRealState: boolean) {
      const out = outDir(name);
      const enqueuer = createJobQueue({ database, logger });
      const { id } = await enqueuer.enqueue('append', { line: `${name}-line` }, { maxAttempts: 5 });
      const child = startChild({ XDRHUB_JOBS_OUT: out, XDRHUB_JOBS_HANG: 'inside-effect', XDRHUB_JOBS_LEASE_MS: '1000', XDRHUB_JOBS_CHECK: checkRealState ? '1' : '0' });
      await child.ready;
      // The side effect happened, but the process dies before fn returns: the journal says "started".
      await until('the side effect', () => linesOf(path.join(out, 'progress.log')).includes(`effect-performed ${id}`));
      await child.kill();
      const effect = await database.db.selectFrom('job_effects').select('status').where('job_id', '=', id).executeTakeFirstOrThrow();
      assert.equal(effect.status, 'started');
      const q = await takeOver(out, checkRealState);
      try {
        return { id, out, job: await q.waitFor(id, 30_000) };
      } finally {
        // Leave no worker behind that would claim the next test's jobs.
        await q.stop({ drainMs: 1000 });
      }
    }

    test('SIGKILL after a side effect started but before it was recorded: the job fails as "outcome unknown" instead of repeating it', async () => {
      const { job, out } = await killedInsideEffect('unknown', false);
      assert.equal(job.status, 'failed');
      assert.match(job.lastError!, /outcome unknown/);
      assert.equal(job.attempts, 2, 'the killed attempt and the one that stopped');
      assert.deepEqual(linesOf(path.join(out, 'effects.log')), ['unknown-line'], 'the side effect happened once');
    });

    test('SIGKILL after a side effect started: onUnknown checks the real state and the job completes without repeating it', async () => {
      const { job, out } = await killedInsideEffect('checked', true);
      assert.equal(job.status, 'succeeded');
      assert.deepEqual(job.result, { appended: 'checked-line' });
      assert.deepEqual(linesOf(path.join(out, 'effects.log')), ['checked-line']);
    });

    test('SIGKILL after side effects completed but before the jobs finished: no job is lost and no effect repeats', async () => {
      const out = outDir('completed');
      const enqueuer = createJobQueue({ database, logger });
      const lines = Array.from({ length: 6 }, (_, i) => `completed-${i}`);
      const ids = (await enqueuer.enqueueMany('append', lines.map((line) => ({ payload: { line } })))).map((r) => r.id);
      const child = startChild({ XDRHUB_JOBS_OUT: out, XDRHUB_JOBS_HANG: 'after-effect', XDRHUB_JOBS_LEASE_MS: '1000', XDRHUB_JOBS_CONCURRENCY: '3' });
      await child.ready;
      await until('three jobs past their effect', () => linesOf(path.join(out, 'progress.log')).filter((l) => l.startsWith('effect-recorded')).length === 3);
      await child.kill();
      const running = await database.db.selectFrom('jobs').select('id').where('id', 'in', ids).where('status', '=', 'running').execute();
      assert.equal(running.length, 3, 'the dead worker held three jobs');

      const q = await takeOver(out, false);
      for (const id of ids) {
        const job = await q.waitFor(id, 30_000);
        assert.equal(job.status, 'succeeded', `job ${id}: ${job.lastError}`);
      }
      await q.stop({ drainMs: 1000 });
      const orphans = new Set(running.map((r) => r.id));
      for (const id of ids) assert.equal((await q.get(id))!.attempts, orphans.has(id) ? 2 : 1);
      const effects = linesOf(path.join(out, 'effects.log'));
      assert.deepEqual([...effects].sort(), [...lines].sort(), 'every side effect happened exactly once');
    });

    // The deployment that scales out is PostgreSQL (SKIP LOCKED); SQLite serializes writers, and
    // the same guarantee must hold there too when someone starts two processes on one file.
    test('two worker processes share one queue and never run a job twice', async () => {
      const out = outDir('shared');
      const env = { XDRHUB_JOBS_OUT: out, XDRHUB_JOBS_MODE: 'record', XDRHUB_JOBS_CONCURRENCY: '8', XDRHUB_JOBS_WORK_MS: '2', XDRHUB_JOBS_BATCH: '8' };
      const workers = [startChild({ ...env, XDRHUB_JOBS_WORKER_ID: 'worker-a' }), startChild({ ...env, XDRHUB_JOBS_WORKER_ID: 'worker-b' })];
      await Promise.all(workers.map((w) => w.ready));
      const enqueuer = createJobQueue({ database, logger });
      const ids = (await enqueuer.enqueueMany('record', Array.from({ length: 500 }, (_, n) => ({ payload: { n } })))).map((r) => r.id);
      await until('500 jobs done', async () => (await enqueuer.stats()).byKind.record?.succeeded === 500, 60_000);
      const stats = await Promise.all(workers.map((w) => w.stop()));

      const ranBy = ['worker-a', 'worker-b'].map((w) => linesOf(path.join(out, `ran-by-${w}.log`)));
      const all = ranBy.flat();
      assert.equal(all.length, 500, 'each job ran exactly once (no job ran twice)');
      assert.deepEqual(new Set(all), new Set(ids));
      assert.ok(ranBy[0].length > 0 && ranBy[1].length > 0, `both workers ran jobs (${ranBy[0].length} / ${ranBy[1].length})`);
      assert.equal(stats[0].worker.succeeded + stats[1].worker.succeeded, 500);
      assert.equal((await enqueuer.stats()).byKind.record?.running, undefined);
    });
  });
}
