import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { createTestDatabase, dialectsUnderTest, type TestDatabase } from '../../../test/support/db.ts';
import type { Database } from '../db/index.ts';
import { migrate } from '../db/migrations.ts';
import { createLogger } from '../log/index.ts';
import { createJobQueue, jobsMigrations, PermanentJobError, backoffDelay, type JobQueue, type JobQueueOptions } from './index.ts';
import { appendJobHandler, linesOf } from './fixtures/handlers.ts';
import { spawnWorker } from './fixtures/spawn.ts';

const logger = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('backoff doubles per attempt, is capped, and jitters within the upper half', () => {
  assert.equal(backoffDelay(1, { baseMs: 100 }, () => 1), 100);
  assert.equal(backoffDelay(1, { baseMs: 100 }, () => 0), 50);
  assert.equal(backoffDelay(3, { baseMs: 100 }, () => 1), 400);
  assert.equal(backoffDelay(30, { baseMs: 100, maxMs: 1000 }, () => 1), 1000);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(4, { baseMs: 10 });
    assert.ok(d >= 40 && d <= 80, `delay ${d} out of [40, 80]`);
  }
});

for (const d of await dialectsUnderTest()) {
  describe(`jobs on ${d.dialect}`, { skip: d.skip }, () => {
    let td: TestDatabase;
    let database: Database;
    const queues: JobQueue[] = [];

    before(async () => {
      td = await createTestDatabase(d.dialect);
      database = await td.open();
      await migrate(database, jobsMigrations);
    });
    after(async () => {
      for (const q of queues) await q.stop({ drainMs: 100 });
      await database?.close();
      await td?.drop();
    });

    function newQueue(o: Partial<JobQueueOptions> = {}): JobQueue {
      const q = createJobQueue({ database, logger, pollMs: 30, reapIntervalMs: 50, ...o });
      queues.push(q);
      return q;
    }
    let kindSeq = 0;
    const uniqueKind = (name: string) => `${name}-${++kindSeq}`;

    test('runs a job once and records its result', async () => {
      const q = newQueue();
      const kind = uniqueKind('basic');
      const seen: unknown[] = [];
      q.register(kind, async (ctx) => {
        seen.push({ payload: ctx.payload, tenantId: ctx.tenantId, attempt: ctx.attempt, kind: ctx.kind });
        return { doubled: (ctx.payload as { n: number }).n * 2 };
      });
      await q.start();
      const { id, created } = await q.enqueue(kind, { n: 21 }, { tenantId: 't-1' });
      assert.equal(created, true);
      const job = await q.waitFor(id, 10_000);
      assert.equal(job.status, 'succeeded');
      assert.deepEqual(job.result, { doubled: 42 });
      assert.equal(job.attempts, 1);
      assert.equal(job.tenantId, 't-1');
      assert.equal(job.lockedBy, null);
      assert.ok(job.finishedAt! >= job.createdAt);
      assert.deepEqual(seen, [{ payload: { n: 21 }, tenantId: 't-1', attempt: 1, kind }]);
    });

    test('retries a failing job with exponential backoff, then succeeds', async () => {
      const q = newQueue();
      const kind = uniqueKind('flaky');
      const startedAt: number[] = [];
      q.register(
        kind,
        async (ctx) => {
          startedAt.push(Date.now());
          if (ctx.attempt < 3) throw new Error(`far side down (attempt ${ctx.attempt})`);
          return 'ok';
        },
        { backoff: { baseMs: 100 } },
      );
      await q.start();
      const { id } = await q.enqueue(kind, {});
      const job = await q.waitFor(id, 10_000);
      assert.equal(job.status, 'succeeded');
      assert.equal(job.attempts, 3);
      assert.equal(startedAt.length, 3);
      // Attempt 2 waits 100 ms nominal (≥ 50 with jitter), attempt 3 waits 200 ms nominal (≥ 100).
      assert.ok(startedAt[1] - startedAt[0] >= 50, `first gap ${startedAt[1] - startedAt[0]}`);
      assert.ok(startedAt[2] - startedAt[1] >= 100, `second gap ${startedAt[2] - startedAt[1]}`);
    });

    test('ends as failed with the last error once max_attempts are used up', async () => {
      const q = newQueue();
      const kind = uniqueKind('always-fails');
      let calls = 0;
      q.register(
        kind,
        async () => {
          calls++;
          throw new Error('still broken');
        },
        { backoff: { baseMs: 10 } },
      );
      await q.start();
      const { id } = await q.enqueue(kind, {}, { maxAttempts: 3 });
      const job = await q.waitFor(id, 10_000);
      assert.equal(job.status, 'failed');
      assert.equal(job.attempts, 3);
      assert.equal(calls, 3);
      assert.match(job.lastError!, /still broken/);
      assert.ok(job.finishedAt);
    });

    test('a PermanentJobError fails the job at once', async () => {
      const q = newQueue();
      const kind = uniqueKind('permanent');
      let calls = 0;
      q.register(kind, async () => {
        calls++;
        throw new PermanentJobError('payload names an unknown host');
      });
      await q.start();
      const { id } = await q.enqueue(kind, {}, { maxAttempts: 5 });
      const job = await q.waitFor(id, 10_000);
      assert.equal(job.status, 'failed');
      assert.equal(job.attempts, 1);
      assert.equal(calls, 1);
      assert.match(job.lastError!, /unknown host/);
    });

    test('an attempt that exceeds timeoutMs is aborted and counts as a failed attempt', async () => {
      const q = newQueue();
      const kind = uniqueKind('slow');
      const abortReasons: string[] = [];
      q.register(
        kind,
        (ctx) =>
          new Promise((_, reject) => {
            ctx.signal.addEventListener('abort', () => {
              abortReasons.push(String((ctx.signal.reason as Error).message));
              reject(ctx.signal.reason);
            });
          }),
        { timeoutMs: 100, backoff: { baseMs: 10 } },
      );
      await q.start();
      const started = Date.now();
      const { id } = await q.enqueue(kind, {}, { maxAttempts: 2 });
      const job = await q.waitFor(id, 10_000);
      assert.equal(job.status, 'failed');
      assert.equal(job.attempts, 2);
      assert.match(job.lastError!, /timed out after 100 ms/);
      assert.deepEqual(abortReasons, ['timed out after 100 ms', 'timed out after 100 ms']);
      assert.ok(Date.now() - started >= 200);
    });

    test('cancel stops a queued job and refuses running and finished ones', async () => {
      const q = newQueue();
      const kind = uniqueKind('cancel');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const ran: string[] = [];
      q.register(kind, async (ctx) => {
        ran.push(ctx.id);
        await gate;
        return null;
      });
      await q.start();
      const later = await q.enqueue(kind, {}, { delayMs: 60_000 });
      assert.equal(await q.cancel(later.id), true);
      assert.equal((await q.get(later.id))!.status, 'cancelled');
      assert.equal(await q.cancel(later.id), false, 'already cancelled');

      const now = await q.enqueue(kind, {});
      await until('job to start', () => ran.includes(now.id));
      assert.equal(await q.cancel(now.id), false, 'running jobs are not cancelled');
      release();
      assert.equal((await q.waitFor(now.id, 10_000)).status, 'succeeded');
      assert.equal(await q.cancel(now.id), false, 'finished jobs are not cancelled');
      assert.equal(await q.cancel('00000000-0000-0000-0000-000000000000'), false);
      assert.deepEqual(ran, [now.id]);
    });

    test('a job with run_at in the future waits until then', async () => {
      const q = newQueue();
      const kind = uniqueKind('later');
      const startedAt: number[] = [];
      q.register(kind, async () => {
        startedAt.push(Date.now());
        return null;
      });
      await q.start();
      const runAt = Date.now() + 400;
      const { id } = await q.enqueue(kind, {}, { runAt });
      await sleep(200);
      assert.equal((await q.get(id))!.status, 'queued');
      const job = await q.waitFor(id, 10_000);
      assert.equal(job.status, 'succeeded');
      assert.ok(startedAt[0] >= runAt, `started ${runAt - startedAt[0]} ms early`);
      assert.ok(startedAt[0] - runAt < 3000, 'started promptly once due');
    });

    test('an idempotency key names one job: enqueueing it again creates nothing', async () => {
      const q = newQueue();
      const kind = uniqueKind('idem');
      const first = await q.enqueue(kind, { v: 1 }, { idempotencyKey: `purge:${kind}` });
      const second = await q.enqueue(kind, { v: 2 }, { idempotencyKey: `purge:${kind}` });
      assert.equal(first.created, true);
      assert.deepEqual(second, { id: first.id, created: false });
      assert.deepEqual((await q.get(first.id))!.payload, { v: 1 });
      const many = await q.enqueueMany(kind, [
        { payload: { v: 3 }, idempotencyKey: `purge:${kind}` },
        { payload: { v: 4 }, idempotencyKey: `other:${kind}` },
        { payload: { v: 5 }, idempotencyKey: `other:${kind}` },
        { payload: { v: 6 } },
      ]);
      assert.deepEqual(many[0], { id: first.id, created: false });
      assert.equal(many[1].created, true);
      assert.deepEqual(many[2], { id: many[1].id, created: false });
      assert.equal(many[3].created, true);
      const page = await q.list({ kind });
      assert.equal(page.items.length, 3);
    });

    test('concurrent enqueues of one idempotency key from separate connections create exactly one job', async () => {
      const kind = uniqueKind('idem-race');
      // Separate connections (pools on PostgreSQL) stand in for separate processes: the database's
      // unique index, not anything in this process, has to pick the winner.
      const connections = await Promise.all([td.open(), td.open(), td.open()]);
      try {
        const racers = connections.map((c) => createJobQueue({ database: c, logger }));
        for (let round = 0; round < 5; round++) {
          const key = `race:${kind}:${round}`;
          const results = await Promise.all(Array.from({ length: 24 }, (_, i) => racers[i % racers.length].enqueue(kind, { i }, { idempotencyKey: key })));
          assert.equal(results.filter((r) => r.created).length, 1, 'exactly one enqueue created the job');
          assert.equal(new Set(results.map((r) => r.id)).size, 1, 'every enqueue returned the same job');
        }
        const { byKind } = await racers[0].stats();
        assert.deepEqual(byKind[kind], { queued: 5 });
      } finally {
        for (const c of connections) await c.close();
      }
    });

    test('a job left running by a dead worker is claimed again when its lease expires (the lost attempt counts)', async () => {
      const kind = uniqueKind('orphan');
      const now = Date.now();
      const orphan = (id: string, attempts: number) => ({
        id, kind, tenant_id: null, payload: '{}', status: 'running', run_at: now - 5000, attempts, max_attempts: 3,
        lease_until: now - 1, locked_by: 'dead-worker#1', created_at: now - 5000, updated_at: now - 5000,
      });
      await database.db.insertInto('jobs').values([orphan(`${kind}-a`, 1), orphan(`${kind}-b`, 3)]).execute();
      const q = newQueue();
      const attempts: number[] = [];
      q.register(kind, async (ctx) => {
        attempts.push(ctx.attempt);
        return 'recovered';
      });
      await q.start();
      const a = await q.waitFor(`${kind}-a`, 10_000);
      assert.equal(a.status, 'succeeded');
      assert.equal(a.attempts, 2);
      assert.deepEqual(attempts, [2]);
      const b = await q.waitFor(`${kind}-b`, 10_000);
      assert.equal(b.status, 'failed', 'the lease expired on its last attempt');
      assert.match(b.lastError!, /lease expired/);
    });

    test('a worker whose lease was taken away is aborted and cannot record a result', async () => {
      const q = newQueue();
      const kind = uniqueKind('stolen');
      let aborted = '';
      let effectAfterLoss: unknown;
      q.register(
        kind,
        async (ctx) => {
          await new Promise((r) => ctx.signal.addEventListener('abort', r));
          aborted = (ctx.signal.reason as Error).message;
          effectAfterLoss = await ctx.effect('late', async () => 'should not run').catch((e: Error) => e.name);
          return 'too late';
        },
        { leaseMs: 1000 },
      );
      await q.start();
      const { id } = await q.enqueue(kind, {});
      await until('job to run', async () => (await q.get(id))!.status === 'running');
      // Another worker took the job over (as after a lease expiry) under a lease of its own.
      await database.db.updateTable('jobs').set({ locked_by: 'other-worker#9', lease_until: Date.now() + 60_000 }).where('id', '=', id).execute();
      await until('abort', () => aborted);
      assert.match(aborted, /lease .* was lost/);
      assert.equal(effectAfterLoss, 'JobLeaseLostError');
      await sleep(100);
      const job = (await q.get(id))!;
      assert.equal(job.status, 'running');
      assert.equal(job.lockedBy, 'other-worker#9');
      assert.equal(job.result, null);
      const effects = await database.db.selectFrom('job_effects').selectAll().where('job_id', '=', id).execute();
      assert.equal(effects.length, 0);
      await database.db.deleteFrom('jobs').where('id', '=', id).execute();
    });

    test('the effect journal replays a completed effect on retry instead of repeating it', async () => {
      const q = newQueue();
      const kind = uniqueKind('journal');
      let sent = 0;
      let failedOnce = 0;
      q.register(
        kind,
        async (ctx) => {
          const ticket = await ctx.effect('create-ticket', async () => {
            sent++;
            return { ticketId: 'T-1' };
          });
          // A transient error after the effect, e.g. while writing the result elsewhere.
          const flaky = await ctx.effect('flaky-call', async () => {
            if (failedOnce++ === 0) throw new Error('connection reset');
            return 'second try';
          });
          if (ctx.attempt === 1) throw new Error('crash after effects');
          return { ticket, flaky };
        },
        { backoff: { baseMs: 10 } },
      );
      await q.start();
      const { id } = await q.enqueue(kind, {});
      const job = await q.waitFor(id, 10_000);
      assert.equal(job.status, 'succeeded');
      assert.equal(sent, 1, 'the completed effect ran once');
      assert.equal(failedOnce, 2, 'an effect whose fn threw is tried again');
      assert.deepEqual(job.result, { ticket: { ticketId: 'T-1' }, flaky: 'second try' });
    });

    test('list pages by creation, filters, and stats count by status and kind', async () => {
      const q = newQueue();
      const kind = uniqueKind('listing');
      for (let i = 0; i < 7; i++) await q.enqueue(kind, { i }, { tenantId: i % 2 ? 'odd' : 'even', delayMs: 60_000 });
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await q.list({ kind, limit: 3, cursor });
        seen.push(...page.items.map((j) => (j.payload as { i: number }).i));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4, 5, 6]);
      const odd = await q.list({ kind, tenantId: 'odd' });
      assert.deepEqual(odd.items.map((j) => (j.payload as { i: number }).i).sort(), [1, 3, 5]);
      assert.equal((await q.list({ kind, status: 'succeeded' })).items.length, 0);
      const stats = await q.stats();
      assert.deepEqual(stats.byKind[kind], { queued: 7 });
      assert.ok(stats.byStatus.queued >= 7);
    });

    test('deleteForTenants removes those tenants\' jobs and effect journals only', async () => {
      const q = newQueue();
      const kind = uniqueKind('tenant-jobs');
      q.register(kind, async (ctx) => ctx.effect('e', async () => ctx.tenantId));
      await q.start();
      const a = await q.enqueue(kind, {}, { tenantId: 'gone-1' });
      const b = await q.enqueue(kind, {}, { tenantId: 'gone-2', delayMs: 60_000 });
      const c = await q.enqueue(kind, {}, { tenantId: 'stays' });
      const n = await q.enqueue(kind, {});
      for (const j of [a, c, n]) await q.waitFor(j.id, 10_000);
      assert.equal(await q.deleteForTenants(['gone-1', 'gone-2']), 2);
      assert.equal(await q.get(a.id), null);
      assert.equal(await q.get(b.id), null);
      assert.ok(await q.get(c.id));
      assert.ok(await q.get(n.id));
      const effects = await database.db.selectFrom('job_effects').select('job_id').where('job_id', 'in', [a.id, b.id, c.id, n.id]).execute();
      assert.deepEqual(effects.map((e) => e.job_id).sort(), [c.id, n.id].sort());
    });

    test('stop drains running jobs, and gives back those that outlive drainMs without counting the attempt', async () => {
      const q = createJobQueue({ database, logger, pollMs: 30 });
      const kind = uniqueKind('drain');
      const quick = uniqueKind('quick');
      q.register(kind, (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))));
      q.register(quick, async () => {
        await sleep(50);
        return 'done';
      });
      await q.start();
      const stuck = await q.enqueue(kind, {});
      const fast = await q.enqueue(quick, {});
      await until('both running', async () => (await q.get(stuck.id))!.status === 'running' && (await q.get(fast.id))!.status === 'running');
      await q.stop({ drainMs: 1000 });
      assert.equal((await q.get(fast.id))!.status, 'succeeded');
      const back = (await q.get(stuck.id))!;
      assert.equal(back.status, 'queued');
      assert.equal(back.attempts, 0);
      assert.equal(back.lockedBy, null);
      await q.cancel(stuck.id);
    });

    test('an enqueue wakes the local worker at once, without waiting for a poll', async () => {
      const q = newQueue({ pollMs: 10_000 });
      const kind = uniqueKind('wake-local');
      q.register(kind, async () => null);
      await q.start();
      await sleep(50);
      const started = Date.now();
      const { id } = await q.enqueue(kind, {});
      await q.waitFor(id, 5_000);
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms (the poll would take 10 s)`);
    });

    test('PostgreSQL: LISTEN/NOTIFY wakes a worker when another process enqueues', { skip: d.dialect === 'sqlite' ? 'NOTIFY is PostgreSQL only; SQLite workers poll' : false }, async () => {
      const other = await td.open();
      try {
        const q = newQueue({ pollMs: 10_000, listenUrl: td.url });
        const kind = uniqueKind('wake-remote');
        q.register(kind, async () => null);
        await q.start();
        await sleep(100);
        const producer = createJobQueue({ database: other, logger });
        const started = Date.now();
        const { id } = await producer.enqueue(kind, {});
        const job = await producer.waitFor(id, 5_000);
        assert.equal(job.status, 'succeeded');
        assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms: the notification did not wake the worker (the poll would take 10 s)`);
      } finally {
        await other.close();
      }
    });

    test('an idle worker with several kinds finds due jobs of each through one poll query', async () => {
      const q = newQueue({ pollMs: 40 });
      const kinds = [uniqueKind('poll-a'), uniqueKind('poll-b'), uniqueKind('poll-c')];
      const ran: string[] = [];
      for (const kind of kinds) q.register(kind, async (ctx) => void ran.push(ctx.kind));
      await q.start();
      // Enqueued through another handle, so nothing wakes this worker but its poll.
      const producer = createJobQueue({ database, logger });
      const a = await producer.enqueue(kinds[0], {}, { delayMs: 100 });
      const c = await producer.enqueue(kinds[2], {});
      await q.waitFor(a.id, 5_000);
      await q.waitFor(c.id, 5_000);
      assert.deepEqual(ran.sort(), [kinds[0], kinds[2]].sort());
    });

    test('prune deletes finished jobs older than the cut-off, with their journals, and frees their keys', async () => {
      const q = newQueue();
      const kind = uniqueKind('prune');
      q.register(kind, async (ctx) => ctx.effect('e', async () => 1));
      await q.start();
      const done = await q.enqueue(kind, {}, { idempotencyKey: `prune:${kind}` });
      await q.waitFor(done.id, 5_000);
      const waiting = await q.enqueue(kind, {}, { delayMs: 60_000 });
      assert.equal(await q.prune({ olderThanMs: 60_000 }), 0, 'nothing is that old');
      await sleep(20);
      assert.ok((await q.prune({ olderThanMs: 10 })) >= 1);
      assert.equal(await q.get(done.id), null);
      assert.equal((await q.get(waiting.id))!.status, 'queued', 'unfinished jobs are kept');
      assert.equal((await database.db.selectFrom('job_effects').select('job_id').where('job_id', '=', done.id).execute()).length, 0);
      assert.equal((await q.enqueue(kind, {}, { idempotencyKey: `prune:${kind}`, delayMs: 60_000 })).created, true);
    });

    test('many jobs run exactly once each with concurrency and batch claims', async () => {
      const q = newQueue({ claimBatch: 16 });
      const kind = uniqueKind('bulk');
      const ran = new Map<string, number>();
      q.register(
        kind,
        async (ctx) => {
          ran.set(ctx.id, (ran.get(ctx.id) ?? 0) + 1);
          await sleep(1);
          return null;
        },
        { concurrency: 20 },
      );
      await q.start();
      const results = await q.enqueueMany(kind, Array.from({ length: 300 }, (_, i) => ({ payload: { i } })));
      await until('all done', async () => (await q.stats()).byKind[kind]?.succeeded === 300, 30_000);
      assert.equal(ran.size, 300);
      assert.ok([...ran.values()].every((n) => n === 1));
      assert.deepEqual(new Set(ran.keys()), new Set(results.map((r) => r.id)));
    });
  });
}
