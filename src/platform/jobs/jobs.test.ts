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
  });
}
