import type { Kysely } from 'kysely';
import type { Logger } from '../log/index.ts';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** A job as callers see it: camelCase, payload and result parsed, times in epoch ms. */
export interface Job<P = unknown, R = unknown> {
  id: string;
  kind: string;
  tenantId: string | null;
  payload: P;
  status: JobStatus;
  runAt: number;
  attempts: number;
  maxAttempts: number;
  leaseUntil: number | null;
  lockedBy: string | null;
  idempotencyKey: string | null;
  lastError: string | null;
  result: R | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface EnqueueOptions {
  /** Earliest time to run (epoch ms). Defaults to now. */
  runAt?: number;
  /** Alternative to runAt: run this many ms from now. */
  delayMs?: number;
  /**
   * At most one job ever exists per key (globally, so namespace it: `purge:<tenantId>`).
   * Enqueueing an existing key returns that job and creates nothing.
   */
  idempotencyKey?: string;
  /** Attempts before the job ends as failed. Default 5. */
  maxAttempts?: number;
  tenantId?: string | null;
  /** Enqueue inside the caller's transaction: the job exists only if that transaction commits. */
  trx?: Kysely<any>;
}

export interface EnqueueResult {
  id: string;
  /** false when the idempotency key already named a job (which is returned instead). */
  created: boolean;
}

export interface BackoffOptions {
  /** Delay before the 2nd attempt. Default 1000 ms; doubles each attempt. */
  baseMs?: number;
  /** Upper bound of one delay. Default 5 minutes. */
  maxMs?: number;
}

export interface EffectOptions<T> {
  /**
   * Called instead of failing when an earlier attempt started this effect but never recorded
   * its end: look at the real state (does the firewall rule exist?) and return what fn would
   * have returned. It is recorded as the effect's result.
   */
  onUnknown?: () => Promise<T>;
}

export interface JobContext<P = unknown> {
  id: string;
  kind: string;
  payload: P;
  tenantId: string | null;
  /** 1 on the first run. */
  attempt: number;
  /** Aborted when the lease is lost, the worker shuts down, or the attempt times out. */
  signal: AbortSignal;
  logger: Logger;
  /**
   * Runs fn at most once per job (across attempts and crashes) and journals its JSON result:
   * a later attempt gets the recorded result without calling fn. See docs/jobs.md.
   */
  effect<T>(key: string, fn: () => Promise<T>, options?: EffectOptions<T>): Promise<T>;
}

export type JobHandler<P = any, R = unknown> = (ctx: JobContext<P>) => Promise<R>;

export interface RegisterOptions {
  /** Jobs of this kind run at once in this process. Default 1. */
  concurrency?: number;
  /** How long a claim lasts without renewal; renewed every third of it while running. Default 30 s. */
  leaseMs?: number;
  /** Abort and count a failed attempt after this long. Default: none. */
  timeoutMs?: number;
  backoff?: BackoffOptions;
}

export interface ListOptions {
  status?: JobStatus;
  kind?: string;
  tenantId?: string;
  /** Default 50, at most 500. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

export interface JobPage {
  items: Job[];
  nextCursor: string | null;
}

export interface JobStats {
  /** Jobs in the table by status (all kinds). */
  byStatus: Record<JobStatus, number>;
  /** Jobs in the table by kind, then status. */
  byKind: Record<string, Partial<Record<JobStatus, number>>>;
  /** What this process's worker did since start(). */
  worker: {
    id: string;
    running: number;
    claimed: number;
    succeeded: number;
    retried: number;
    failed: number;
    /** Round-trip time of claim statements (ms) over the last 10,000 claims. */
    claimLatencyMs: { p50: number | null; p99: number | null; count: number };
  };
}
