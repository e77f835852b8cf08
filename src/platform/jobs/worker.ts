import type { Database } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { backoffDelay } from './backoff.ts';
import { Completer } from './completer.ts';
import { EffectJournal } from './effects.ts';
import { JobLeaseLostError, JobTimeoutError, PermanentJobError } from './errors.ts';
import { errorText, parseJson, toJson, type JobRow } from './rows.ts';
import type { JobStore } from './store.ts';
import type { BackoffOptions, JobContext, JobHandler, JobStats, RegisterOptions } from './types.ts';

export const DEFAULT_LEASE_MS = 30_000;

interface Registration {
  kind: string;
  handler: JobHandler;
  concurrency: number;
  leaseMs: number;
  timeoutMs?: number;
  backoff: BackoffOptions;
  running: number;
  /** The last claim found fewer due jobs than it asked for: wait for a wake-up or the next poll. */
  idle: boolean;
}

type Outcome =
  | { type: 'ok'; result: unknown }
  | { type: 'error'; error: unknown }
  | { type: 'lost' }
  | { type: 'shutdown' };

interface Active {
  jobId: string;
  /** Ends the attempt as given if it has not ended yet (timeout, lease lost, shutdown). */
  settle(outcome: Outcome): void;
  abort(reason: Error): void;
  done: Promise<void>;
}

export interface WorkerOptions {
  database: Database;
  store: JobStore;
  logger: Logger;
  workerId: string;
  pollMs: number;
  reapIntervalMs: number;
  /** Most jobs one claim statement takes. */
  claimBatch: number;
}

const LATENCY_SAMPLES = 10_000;

/**
 * The loop that runs jobs in this process: claims due jobs of every registered kind while it has
 * free slots, runs each handler under a renewed lease, and records how each attempt ended.
 */
export class Worker {
  private readonly kinds = new Map<string, Registration>();
  private readonly active = new Set<Active>();
  private readonly completer: Completer;
  private started = false;
  private stopping = false;
  private pumping = false;
  private pumpAgain = false;
  private pumpDone: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | null = null;
  private lastReap = 0;
  private claimSeq = 0;
  private readonly claimLatencies: number[] = [];
  private readonly counters = { claimed: 0, succeeded: 0, retried: 0, failed: 0 };
  /** Called after each attempt this worker ran has been recorded. */
  onJobEnded: () => void = () => {};

  constructor(private readonly options: WorkerOptions) {
    this.completer = new Completer(options.store);
  }

  get isRunning(): boolean {
    return this.started && !this.stopping;
  }

  register(kind: string, handler: JobHandler, options: RegisterOptions = {}): void {
    if (this.kinds.has(kind)) throw new Error(`a handler for job kind "${kind}" is already registered`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!(leaseMs >= 100)) throw new Error('leaseMs must be at least 100');
    this.kinds.set(kind, {
      kind,
      handler,
      concurrency,
      leaseMs,
      timeoutMs: options.timeoutMs,
      backoff: options.backoff ?? {},
      running: 0,
      idle: false,
    });
    if (this.isRunning) this.wake();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.schedulePoll();
    this.wake();
  }

  /** Something may be due now: claim without waiting for the poll. */
  wake(): void {
    if (!this.isRunning) return;
    for (const reg of this.kinds.values()) reg.idle = false;
    this.requestPump();
  }

  /** Wakes the worker when a job enqueued for later becomes due, if that is sooner than a poll. */
  wakeAt(runAt: number): void {
    const delay = runAt - Date.now();
    if (delay <= 0) return this.wake();
    if (delay >= this.options.pollMs || !this.isRunning) return;
    setTimeout(() => this.wake(), delay + 1).unref();
  }

  private schedulePoll(): void {
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      if (!this.isRunning) return;
      void this.poll().finally(() => {
        if (this.isRunning) this.schedulePoll();
      });
    }, this.options.pollMs);
    // Not unref'd: a started worker keeps its process alive until stop(), as a `--role worker`
    // process has nothing else to do.
  }

  /**
   * An idle worker with several kinds asks once which of them have due jobs, rather than sending
   * one claim per kind every poll.
   */
  private async poll(): Promise<void> {
    const waiting = [...this.kinds.values()].filter((reg) => reg.idle && reg.running < reg.concurrency);
    if (waiting.length <= 1) return this.wake();
    try {
      await this.reapIfDue();
      const due = new Set(await this.options.store.dueKinds(waiting.map((r) => r.kind), Date.now()));
      for (const reg of waiting) if (due.has(reg.kind)) reg.idle = false;
      // Also restarts kinds left mid-claim by a failed pump (not idle, slots free).
      if ([...this.kinds.values()].some((reg) => !reg.idle && reg.running < reg.concurrency)) this.requestPump();
    } catch (err) {
      this.options.logger.error({ err: errorText(err) }, 'looking for due jobs failed; retrying at the next poll');
    }
  }

  private requestPump(): void {
    if (!this.isRunning) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pumpDone = this.pump()
      .catch((err) => {
        // The database is unreachable or refused the claim: the next poll tries again.
        this.options.logger.error({ err: errorText(err) }, 'claiming jobs failed; retrying at the next poll');
      })
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain && this.isRunning) this.requestPump();
      });
  }

  private async pump(): Promise<void> {
    do {
      this.pumpAgain = false;
      await this.reapIfDue();
      for (const reg of this.kinds.values()) {
        while (this.isRunning && !reg.idle && reg.running < reg.concurrency) {
          const want = Math.min(this.options.claimBatch, reg.concurrency - reg.running);
          const rows = await this.claim(reg, want);
          if (rows.length < want) reg.idle = true;
          for (const row of rows) this.launch(reg, row);
        }
      }
    } while (this.pumpAgain && this.isRunning);
  }

  private async claim(reg: Registration, want: number): Promise<JobRow[]> {
    const token = `${this.options.workerId}#${++this.claimSeq}`;
    const started = performance.now();
    const now = Date.now();
    const rows = await this.options.store.claim(reg.kind, want, token, now + reg.leaseMs, now);
    if (this.claimLatencies.length >= LATENCY_SAMPLES) this.claimLatencies.shift();
    this.claimLatencies.push(performance.now() - started);
    this.counters.claimed += rows.length;
    return rows;
  }

  private async reapIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.lastReap < this.options.reapIntervalMs) return;
    this.lastReap = now;
    let reaped = 0;
    try {
      reaped = await this.options.store.reapExpired(now);
    } catch (err) {
      // Claiming must go on even if requeueing orphans fails this time.
      this.options.logger.error({ err: errorText(err) }, 'requeueing jobs with expired leases failed');
    }
    if (reaped > 0) this.options.logger.warn({ reaped }, 'jobs whose lease expired were queued again (or failed on their last attempt)');
  }

  private launch(reg: Registration, row: JobRow): void {
    reg.running++;
    let settled = false;
    let settle!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => {
      settle = (o) => {
        if (settled) return;
        settled = true;
        resolve(o);
      };
    });
    const controller = new AbortController();
    const active: Active = {
      jobId: row.id,
      settle,
      abort: (reason) => {
        if (!controller.signal.aborted) controller.abort(reason);
      },
      done: Promise.resolve(),
    };
    this.active.add(active);
    active.done = this.runAttempt(reg, row, controller, outcome, settle)
      .catch((err) => this.options.logger.error({ jobId: row.id, err: errorText(err) }, 'recording the end of a job attempt failed; its lease will expire and it will run again'))
      .finally(() => {
        this.active.delete(active);
        reg.running--;
        this.onJobEnded();
        if (!reg.idle || this.pumpAgain) this.requestPump();
      });
  }

  private async runAttempt(
    reg: Registration,
    row: JobRow,
    controller: AbortController,
    outcome: Promise<Outcome>,
    settle: (o: Outcome) => void,
  ): Promise<void> {
    const { store, logger: baseLogger, database } = this.options;
    const token = row.locked_by as string;
    const attempt = Number(row.attempts);
    const logger = baseLogger.child({ jobId: row.id, kind: row.kind, attempt });
    const journal = new EffectJournal(database.db, row.id, token);
    const ctx: JobContext = {
      id: row.id,
      kind: row.kind,
      payload: parseJson(row.payload),
      tenantId: row.tenant_id,
      attempt,
      signal: controller.signal,
      logger,
      effect: (key, fn, options) => {
        if (controller.signal.aborted) return Promise.reject(controller.signal.reason);
        return journal.run(key, fn, options);
      },
    };

    let leaseUntil = Number(row.lease_until);
    const renewEvery = Math.max(50, Math.floor(reg.leaseMs / 3));
    const renewTimer = setInterval(() => {
      const now = Date.now();
      store.renew(row.id, token, now + reg.leaseMs, now).then(
        (held) => {
          if (held) leaseUntil = now + reg.leaseMs;
          else this.loseLease(controller, settle, row.id);
        },
        (err) => {
          logger.warn({ err: errorText(err) }, 'renewing a job lease failed');
          if (Date.now() >= leaseUntil) this.loseLease(controller, settle, row.id);
        },
      );
    }, renewEvery);
    const timeoutTimer =
      reg.timeoutMs != null
        ? setTimeout(() => {
            const err = new JobTimeoutError(reg.timeoutMs as number);
            controller.abort(err);
            settle({ type: 'error', error: err });
          }, reg.timeoutMs)
        : null;

    Promise.resolve()
      .then(() => reg.handler(ctx))
      .then(
        (result) => settle({ type: 'ok', result }),
        (error) => settle(error instanceof JobLeaseLostError ? { type: 'lost' } : { type: 'error', error }),
      );

    const end = await outcome;
    clearInterval(renewTimer);
    if (timeoutTimer) clearTimeout(timeoutTimer);
    await this.record(reg, row, token, attempt, end, logger);
  }

  private loseLease(controller: AbortController, settle: (o: Outcome) => void, jobId: string): void {
    if (!controller.signal.aborted) controller.abort(new JobLeaseLostError(jobId));
    settle({ type: 'lost' });
  }

  private async record(reg: Registration, row: JobRow, token: string, attempt: number, end: Outcome, logger: Logger): Promise<void> {
    const { store } = this.options;
    const now = Date.now();
    switch (end.type) {
      case 'ok': {
        let result: string;
        try {
          result = toJson(end.result);
        } catch (err) {
          return this.record(reg, row, token, attempt, { type: 'error', error: new PermanentJobError(`job result is not JSON: ${errorText(err)}`) }, logger);
        }
        if (await this.completer.add({ id: row.id, token, result })) this.counters.succeeded++;
        else logger.warn('job finished after its lease was lost; its result was not recorded');
        return;
      }
      case 'lost':
        logger.warn('lease lost; the attempt was abandoned and the job is left to whoever holds it now');
        return;
      case 'shutdown':
        await store.release(row.id, token, now);
        return;
      case 'error': {
        const message = errorText(end.error);
        const permanent = end.error instanceof PermanentJobError;
        if (permanent || attempt >= Number(row.max_attempts)) {
          if (await store.fail(row.id, token, message, now)) this.counters.failed++;
          logger.warn({ err: message, permanent }, 'job failed');
        } else {
          const runAt = now + backoffDelay(attempt, reg.backoff);
          if (await store.retry(row.id, token, message, runAt, now)) this.counters.retried++;
          logger.info({ err: message, retryAt: runAt }, 'job attempt failed; will retry');
          this.wakeAt(runAt);
        }
        return;
      }
    }
  }

  /**
   * Stops claiming, lets running jobs finish for up to drainMs, then aborts the rest and gives
   * them back to the queue (the interrupted attempt does not count).
   */
  async stop(drainMs: number): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    // A claim in flight may still hand us jobs: let it land so they are drained like the rest.
    await this.pumpDone;
    const all = () => Promise.all([...this.active].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      all().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), drainMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      for (const a of this.active) {
        a.abort(new Error('worker shutting down'));
        a.settle({ type: 'shutdown' });
      }
      await all();
    }
    await this.completer.idle();
    this.started = false;
  }

  stats(): JobStats['worker'] {
    const sorted = [...this.claimLatencies].sort((a, b) => a - b);
    const pick = (p: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
    let running = 0;
    for (const reg of this.kinds.values()) running += reg.running;
    return {
      id: this.options.workerId,
      running,
      ...this.counters,
      claimLatencyMs: { p50: pick(50), p99: pick(99), count: sorted.length },
    };
  }

  /** Raw claim latencies (ms), for benchmarks that merge several processes. */
  claimLatencySamples(): number[] {
    return [...this.claimLatencies];
  }
}
