import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Database } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { toJob, type JobRow } from './rows.ts';
import { JobStore, type NewJob } from './store.ts';
import { FINAL_STATUSES, JOB_STATUSES } from './types.ts';
import type { EnqueueOptions, EnqueueResult, Job, JobHandler, JobPage, JobStats, JobStatus, ListOptions, RegisterOptions } from './types.ts';
import { PostgresWakeListener } from './wake.ts';
import { Worker } from './worker.ts';

export interface JobQueueOptions {
  database: Database;
  logger: Logger;
  /** Names this process in locked_by and logs. Default `<host>:<pid>:<random>`. */
  workerId?: string;
  /** How often an idle worker looks for due jobs (ms). Default 250. */
  pollMs?: number;
  /** How often this worker requeues jobs whose lease expired (ms). Default 5000. */
  reapIntervalMs?: number;
  /** Most jobs one claim statement takes. Default 64. */
  claimBatch?: number;
  /**
   * PostgreSQL only: the connection URL, to LISTEN for new jobs on a dedicated connection so
   * workers in other processes start them at once. Without it they find them at the next poll.
   */
  listenUrl?: string;
}

export interface JobQueue {
  enqueue<P>(kind: string, payload: P, options?: EnqueueOptions): Promise<EnqueueResult>;
  /** Many jobs of one kind in few statements (bulk imports, benchmarks). */
  enqueueMany<P>(kind: string, jobs: Array<{ payload: P } & Omit<EnqueueOptions, 'trx'>>, options?: Pick<EnqueueOptions, 'trx'>): Promise<EnqueueResult[]>;
  register<P = any, R = unknown>(kind: string, handler: JobHandler<P, R>, options?: RegisterOptions): void;
  start(): Promise<void>;
  stop(options?: { drainMs?: number }): Promise<void>;
  get(id: string): Promise<Job | null>;
  list(options?: ListOptions): Promise<JobPage>;
  /** Cancels a queued job; false if it is running or already finished (or does not exist). */
  cancel(id: string): Promise<boolean>;
  /** Deletes every job of these tenants, whatever its status, with its effect journal. */
  deleteForTenants(tenantIds: string[]): Promise<number>;
  /**
   * Deletes succeeded, failed and cancelled jobs that finished more than olderThanMs ago, with
   * their journals. Their idempotency keys become free again.
   */
  prune(options: { olderThanMs: number }): Promise<number>;
  /** Resolves with the job once it is succeeded, failed or cancelled; rejects after timeoutMs. */
  waitFor(id: string, timeoutMs?: number): Promise<Job>;
  stats(): Promise<JobStats>;
  /** Raw claim round-trip samples of this process's worker (ms), for benchmarks. */
  claimLatencySamples(): number[];
  readonly workerId: string;
}

const DEFAULT_MAX_ATTEMPTS = 5;

function validateEnqueue(kind: string, options: Omit<EnqueueOptions, 'trx'>): void {
  if (!kind || typeof kind !== 'string') throw new TypeError('job kind must be a non-empty string');
  const max = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(max) || max < 1) throw new TypeError('maxAttempts must be a positive integer');
  if (options.idempotencyKey !== undefined && (typeof options.idempotencyKey !== 'string' || options.idempotencyKey === '')) {
    throw new TypeError('idempotencyKey must be a non-empty string');
  }
}

function encodeCursor(row: { created_at: number | string; id: string }): string {
  return Buffer.from(`${Number(row.created_at)}:${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const at = text.indexOf(':');
  const createdAt = Number(text.slice(0, at));
  if (at < 1 || !Number.isFinite(createdAt)) throw new TypeError('invalid cursor');
  return { createdAt, id: text.slice(at + 1) };
}

export function createJobQueue(options: JobQueueOptions): JobQueue {
  const { database, logger } = options;
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const store = new JobStore(database);
  const worker = new Worker({
    database,
    store,
    logger: logger.child({ component: 'jobs', workerId }),
    workerId,
    pollMs: options.pollMs ?? 250,
    reapIntervalMs: options.reapIntervalMs ?? 5000,
    claimBatch: options.claimBatch ?? 64,
  });
  let listener: PostgresWakeListener | null = null;
  // In-process waiters of waitFor, woken when this process finishes a job (others poll).
  const finishedListeners = new Set<() => void>();

  function toNewJob(payload: unknown, o: Omit<EnqueueOptions, 'trx'>, now: number): NewJob {
    return {
      payload,
      runAt: o.runAt ?? now + (o.delayMs ?? 0),
      idempotencyKey: o.idempotencyKey ?? null,
      maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      tenantId: o.tenantId ?? null,
    };
  }

  function afterEnqueue(jobs: NewJob[], results: EnqueueResult[], inTransaction: boolean): void {
    if (!worker.isRunning || !results.some((r) => r.created)) return;
    const soonest = Math.min(...jobs.map((j) => j.runAt));
    // Inside the caller's transaction the job is invisible until commit: the poll finds it.
    if (!inTransaction) worker.wakeAt(soonest);
  }

  const queue: JobQueue = {
    workerId,

    async enqueue(kind, payload, o = {}) {
      const { trx, ...rest } = o;
      const [result] = await queue.enqueueMany(kind, [{ payload, ...rest }], { trx });
      return result;
    },

    async enqueueMany(kind, items, o = {}) {
      for (const item of items) validateEnqueue(kind, item);
      if (items.length === 0) return [];
      const now = Date.now();
      const jobs = items.map(({ payload, ...rest }) => toNewJob(payload, rest, now));
      const results = await store.insert(kind, jobs, now, o.trx ?? database.db);
      afterEnqueue(jobs, results, !!o.trx);
      return results;
    },

    register(kind, handler, o) {
      worker.register(kind, handler as JobHandler, o);
    },

    async start() {
      if (options.listenUrl && database.dialect === 'postgres' && !listener) {
        listener = new PostgresWakeListener(options.listenUrl, () => worker.wake(), logger);
        await listener.start();
      }
      worker.start();
    },

    async stop(o = {}) {
      await listener?.stop();
      listener = null;
      await worker.stop(o.drainMs ?? 10_000);
    },

    async get(id) {
      const row = await store.get(id);
      return row ? toJob(row) : null;
    },

    async list(o = {}) {
      const limit = Math.min(Math.max(1, o.limit ?? 50), 500);
      if (o.status && !JOB_STATUSES.includes(o.status)) throw new TypeError(`unknown job status "${o.status}"`);
      let q = database.db.selectFrom('jobs').selectAll();
      if (o.status) q = q.where('status', '=', o.status);
      if (o.kind) q = q.where('kind', '=', o.kind);
      if (o.tenantId) q = q.where('tenant_id', '=', o.tenantId);
      if (o.cursor) {
        const c = decodeCursor(o.cursor);
        q = q.where((eb) => eb.or([eb('created_at', '<', c.createdAt), eb.and([eb('created_at', '=', c.createdAt), eb('id', '<', c.id)])]));
      }
      const rows = (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()) as JobRow[];
      const page = rows.slice(0, limit);
      return { items: page.map(toJob), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null };
    },

    async cancel(id) {
      return store.cancel(id, Date.now());
    },

    async deleteForTenants(tenantIds) {
      if (tenantIds.length === 0) return 0;
      return store.deleteForTenants(tenantIds);
    },

    async prune({ olderThanMs }) {
      if (!(olderThanMs >= 0)) throw new TypeError('olderThanMs must be a non-negative number');
      return store.prune(Date.now() - olderThanMs);
    },

    async waitFor(id, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await queue.get(id);
        if (!job) throw new Error(`job ${id} does not exist`);
        if (FINAL_STATUSES.includes(job.status)) return job;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            finishedListeners.delete(done);
            resolve();
          };
          const timer = setTimeout(done, Math.min(left, 50));
          finishedListeners.add(done);
        });
      }
    },

    async stats() {
      const byStatus = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
      const byKind: JobStats['byKind'] = {};
      for (const { kind, status, n } of await store.counts()) {
        byStatus[status as JobStatus] += n;
        (byKind[kind] ??= {})[status as JobStatus] = n;
      }
      return { byStatus, byKind, worker: worker.stats() };
    },

    claimLatencySamples: () => worker.claimLatencySamples(),
  };
  worker.onJobEnded = () => {
    for (const l of [...finishedListeners]) l();
  };
  return queue;
}
