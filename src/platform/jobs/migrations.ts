import { sql } from 'kysely';
import { columnTypes, type ModuleMigration } from '../db/migrations.ts';

/** Channel on which PostgreSQL announces new jobs to listening workers in other processes. */
export const JOBS_NOTIFY_CHANNEL = 'xdrhub_jobs';

export const jobsMigrations: ModuleMigration[] = [
  {
    name: '20261128_020_jobs',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('run_at', t.time, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('lease_until', t.time)
        // A claim token (`<worker id>#<claim number>`), unique per claim: every write a worker
        // makes for a job it ran is fenced on it, so a worker that lost its lease writes nothing.
        .addColumn('locked_by', 'text')
        .addColumn('idempotency_key', 'text')
        .addColumn('last_error', 'text')
        .addColumn('result', 'text')
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .addColumn('finished_at', t.time)
        .addCheckConstraint('jobs_status_check', sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`)
        .execute();
      // Claiming reads only due queued jobs of one kind in run_at order: a partial index keeps it
      // small (finished jobs never enter it) and ordered.
      await sql`create index jobs_claim on jobs (kind, run_at) where status = 'queued'`.execute(db);
      // The lease reaper looks for running jobs whose lease ran out.
      await sql`create index jobs_lease on jobs (lease_until) where status = 'running'`.execute(db);
      await sql`create unique index jobs_idempotency_key on jobs (idempotency_key) where idempotency_key is not null`.execute(db);
      await db.schema.createIndex('jobs_tenant').on('jobs').column('tenant_id').execute();
      await db.schema.createIndex('jobs_created').on('jobs').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('job_effects')
        .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
        .addColumn('effect_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('started_at', t.time, (c) => c.notNull())
        .addColumn('completed_at', t.time)
        .addPrimaryKeyConstraint('job_effects_pk', ['job_id', 'effect_key'])
        .addCheckConstraint('job_effects_status_check', sql`status in ('started', 'completed')`)
        .execute();

      if (dialect === 'postgres') {
        // One notification per inserting statement (and PostgreSQL folds identical ones within a
        // transaction), so bulk enqueues cost one NOTIFY, and no enqueue needs an extra round trip.
        await sql`
          create or replace function xdrhub_jobs_notify() returns trigger language plpgsql as $$
          begin
            perform pg_notify(${sql.lit(JOBS_NOTIFY_CHANNEL)}, '');
            return null;
          end $$`.execute(db);
        await sql`create trigger jobs_notify after insert on jobs for each statement execute function xdrhub_jobs_notify()`.execute(db);
      }
    },
  },
];
