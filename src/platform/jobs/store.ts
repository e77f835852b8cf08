import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { newId } from '../ids.ts';
import { toJson, type JobRow } from './rows.ts';
import type { EnqueueResult } from './types.ts';

/**
 * Every statement the queue runs, in one place. Status literals are written into the SQL (not
 * bound) so the planner can use the partial indexes `where status = 'queued' | 'running'`.
 */

export interface NewJob {
  payload: unknown;
  runAt: number;
  idempotencyKey: string | null;
  maxAttempts: number;
  tenantId: string | null;
}

export interface Completion {
  id: string;
  token: string;
  result: string;
}

// PostgreSQL binds at most 65,535 parameters per statement; 11 per row.
const INSERT_CHUNK = 1000;

export class JobStore {
  constructor(private readonly database: Database) {}

  private get db(): Kysely<any> {
    return this.database.db;
  }

  /** Inserts new jobs; rows whose idempotency key already exists resolve to the existing job. */
  async insert(kind: string, jobs: NewJob[], now: number, executor: Kysely<any> = this.db): Promise<EnqueueResult[]> {
    const ids = jobs.map(() => newId());
    const created = new Set<string>();
    for (let start = 0; start < jobs.length; start += INSERT_CHUNK) {
      const rows = jobs.slice(start, start + INSERT_CHUNK).map((j, i) => ({
        id: ids[start + i],
        kind,
        tenant_id: j.tenantId,
        payload: toJson(j.payload),
        status: 'queued',
        run_at: j.runAt,
        attempts: 0,
        max_attempts: j.maxAttempts,
        idempotency_key: j.idempotencyKey,
        created_at: now,
        updated_at: now,
      }));
      const inserted = await executor
        .insertInto('jobs')
        .values(rows)
        // Concurrent enqueues of one key (any number of processes): the unique index lets exactly
        // one insert through; the others do nothing and look the winner up below.
        .onConflict((oc) => oc.column('idempotency_key').where('idempotency_key', 'is not', null).doNothing())
        .returning('id')
        .execute();
      for (const r of inserted) created.add(r.id as string);
    }
    const missingKeys = jobs.filter((j, i) => !created.has(ids[i]) && j.idempotencyKey != null).map((j) => j.idempotencyKey as string);
    const existing = new Map<string, string>();
    for (let start = 0; start < missingKeys.length; start += INSERT_CHUNK) {
      const found = await executor
        .selectFrom('jobs')
        .select(['id', 'idempotency_key'])
        .where('idempotency_key', 'in', missingKeys.slice(start, start + INSERT_CHUNK))
        .execute();
      for (const r of found) existing.set(r.idempotency_key as string, r.id as string);
    }
    return jobs.map((j, i) => {
      if (created.has(ids[i])) return { id: ids[i], created: true };
      const id = j.idempotencyKey != null ? existing.get(j.idempotencyKey) : undefined;
      // Only possible if the existing job was deleted between our insert and our look-up.
      if (!id) throw new Error(`job with idempotency key could not be created or found; retry the enqueue`);
      return { id, created: false };
    });
  }

  /**
   * Atomically moves up to `limit` due queued jobs of one kind to running under `token`.
   * PostgreSQL: row locks with SKIP LOCKED, so concurrent claimers in any number of processes
   * take disjoint jobs without waiting on each other. SQLite: one UPDATE … RETURNING, which the
   * database serializes against every other writer.
   */
  async claim(kind: string, limit: number, token: string, leaseUntil: number, now: number): Promise<JobRow[]> {
    if (this.database.dialect === 'postgres') {
      const { rows } = await sql<JobRow>`
        with next as (
          select id from jobs
          where status = 'queued' and kind = ${kind} and run_at <= ${now}
          order by run_at
          limit ${limit}
          for update skip locked
        )
        update jobs as j
        set status = 'running', attempts = j.attempts + 1, locked_by = ${token}, lease_until = ${leaseUntil}, updated_at = ${now}
        from next
        where j.id = next.id
        returning j.*`.execute(this.db);
      return rows;
    }
    const { rows } = await sql<JobRow>`
      update jobs
      set status = 'running', attempts = attempts + 1, locked_by = ${token}, lease_until = ${leaseUntil}, updated_at = ${now}
      where id in (
        select id from jobs
        where status = 'queued' and kind = ${kind} and run_at <= ${now}
        order by run_at
        limit ${limit}
      )
      returning *`.execute(this.db);
    return rows;
  }

  /** Which of these kinds have a due queued job: one cheap query for an idle worker's poll. */
  async dueKinds(kinds: string[], now: number): Promise<string[]> {
    const { rows } = await sql<{ kind: string }>`
      select distinct kind from jobs
      where status = 'queued' and kind in (${sql.join(kinds)}) and run_at <= ${now}`.execute(this.db);
    return rows.map((r) => r.kind);
  }

  /** Deletes finished jobs (and their journals) that ended before `before`. */
  async prune(before: number): Promise<number> {
    await this.db
      .deleteFrom('job_effects')
      .where('job_id', 'in', this.db.selectFrom('jobs').select('id').where('status', 'in', ['succeeded', 'failed', 'cancelled']).where('finished_at', '<', before))
      .execute();
    const r = await this.db
      .deleteFrom('jobs')
      .where('status', 'in', ['succeeded', 'failed', 'cancelled'])
      .where('finished_at', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Extends the lease; false when this claim no longer holds the job. */
  async renew(id: string, token: string, leaseUntil: number, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({ lease_until: leaseUntil, updated_at: now })
      .where('id', '=', id)
      .where('locked_by', '=', token)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Marks many jobs succeeded in one statement (group commit). Returns the ids actually updated;
   * a job missing from it had lost its claim, so its result was not recorded.
   */
  async complete(batch: Completion[], now: number): Promise<Set<string>> {
    const values = sql.join(batch.map((c) => sql`(${c.id}, ${c.token}, ${c.result})`));
    const { rows } = await sql<{ id: string }>`
      with done (id, token, result) as (values ${values})
      update jobs
      set status = 'succeeded', result = done.result, finished_at = ${now}, updated_at = ${now},
          lease_until = null, locked_by = null, last_error = null
      from done
      where jobs.id = done.id and jobs.locked_by = done.token and jobs.status = 'running'
      returning jobs.id`.execute(this.db);
    return new Set(rows.map((r) => r.id));
  }

  /** Schedules another attempt at runAt. False when this claim no longer holds the job. */
  async retry(id: string, token: string, error: string, runAt: number, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({ status: 'queued', run_at: runAt, last_error: error, lease_until: null, locked_by: null, updated_at: now })
      .where('id', '=', id)
      .where('locked_by', '=', token)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Ends the job as failed. False when this claim no longer holds the job. */
  async fail(id: string, token: string, error: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({ status: 'failed', last_error: error, finished_at: now, lease_until: null, locked_by: null, updated_at: now })
      .where('id', '=', id)
      .where('locked_by', '=', token)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Gives a job back untouched (worker shutting down): the attempt it used is not counted. */
  async release(id: string, token: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'queued',
        attempts: eb('attempts', '-', 1),
        run_at: now,
        lease_until: null,
        locked_by: null,
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('locked_by', '=', token)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Running jobs whose lease ran out belong to a worker that died or stalled: queue them again
   * (the lost attempt counts), or fail them when that was the last attempt.
   */
  async reapExpired(now: number): Promise<number> {
    const r = await sql`
      update jobs
      set status = case when attempts >= max_attempts then 'failed' else 'queued' end,
          finished_at = case when attempts >= max_attempts then cast(${now} as bigint) else null end,
          last_error = 'lease expired: the worker running attempt ' || attempts || ' stopped renewing it (crashed or stalled)',
          lease_until = null, locked_by = null, run_at = ${now}, updated_at = ${now}
      where status = 'running' and lease_until < ${now}`.execute(this.db);
    return Number(r.numAffectedRows ?? 0n);
  }

  async get(id: string): Promise<JobRow | undefined> {
    return (await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()) as JobRow | undefined;
  }

  async cancel(id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({ status: 'cancelled', finished_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteForTenants(tenantIds: string[]): Promise<number> {
    let deleted = 0;
    for (let start = 0; start < tenantIds.length; start += INSERT_CHUNK) {
      const chunk = tenantIds.slice(start, start + INSERT_CHUNK);
      // job_effects rows go with their job (on delete cascade); delete them explicitly too so
      // nothing is left behind on a SQLite connection opened without foreign_keys.
      await this.db
        .deleteFrom('job_effects')
        .where('job_id', 'in', this.db.selectFrom('jobs').select('id').where('tenant_id', 'in', chunk))
        .execute();
      const r = await this.db.deleteFrom('jobs').where('tenant_id', 'in', chunk).executeTakeFirst();
      deleted += Number(r.numDeletedRows);
    }
    return deleted;
  }

  async counts(): Promise<{ kind: string; status: string; n: number }[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .select((eb: any) => ['kind', 'status', eb.fn.countAll().as('n')])
      .groupBy(['kind', 'status'])
      .execute();
    return rows.map((r) => ({ kind: r.kind as string, status: r.status as string, n: Number(r.n) }));
  }
}
