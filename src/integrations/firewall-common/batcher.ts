import { createHash } from 'node:crypto';
import { OutboundError, type OutboundClient, type OutboundRequest } from '../../platform/outbound/index.ts';
import type { ConnectorContext } from '../framework/contract.ts';
import { FirewallError } from './errors.ts';
import type { BatchOutcome } from './outcome.ts';

/**
 * Coalesces concurrent calls on one firewall instance into batches. The response module launches
 * one action per target (one job each, several jobs at once), so blocking ten addresses selected
 * in an alert arrives as ten calls; each would open its own device session (on Check Point, its
 * own publish). Here the calls for the same key (instance and settings) wait a short gathering
 * window and are applied as one batch: one session, one list update, one publish.
 *
 * - Per key, one batch runs at a time: two sessions editing the same group would contend for it
 *   (Check Point locks an object edited by another session until that one publishes). Calls that
 *   arrive while a batch runs gather for the next one.
 * - A batch holds one operation (e.g. block:ip) and at most `maxValues` values; one caller's values
 *   are never split (a caller above the limit goes alone). A call is taken ahead of an earlier call
 *   of another operation only when none of its values is in that earlier call: a block and an
 *   unblock of the same value are never reordered.
 * - Results are mapped back per caller: its own values' share of `changed`/`unchanged`; what the
 *   batch had to create is reported once, to the first caller whose call succeeds (one history
 *   entry says "created group …", not twenty). A value the device refused (`failed` in the outcome)
 *   fails only its caller; an error of the whole batch (login, publish) fails every caller in it.
 * - A caller whose signal aborts is rejected at once and, if the batch has not started, left out.
 *   The batch itself stops only when every caller in it has aborted: its requests go through the
 *   outbound client of a caller that is still waiting, and a request cut short because that
 *   caller aborted is sent again through another one. Batch logic is idempotent (already-present
 *   values count as success), which is what makes sending a request again safe.
 */
export interface BatchOptions {
  /** How long the first call of a batch waits for others, ms. */
  windowMs?: number;
  /** Values per batch (a single caller with more goes alone). */
  maxValues?: number;
}

export interface BatchStats {
  /** Values per batch applied, in order (the last 1,000). */
  batchSizes: number[];
  /** Callers per batch applied, in order (the last 1,000). */
  batchCallers: number[];
  /** Requests sent again because the caller they went through aborted meanwhile. */
  resent: number;
}

type Ctx = Pick<ConnectorContext<any, any>, 'signal' | 'http' | 'logger'>;

interface Pending<C extends Ctx, O extends string> {
  op: O;
  values: string[];
  ctx: C;
  settled: boolean;
  resolve(outcome: BatchOutcome): void;
  reject(err: unknown): void;
  detach(): void;
}

interface Queue<C extends Ctx, O extends string> {
  pending: Pending<C, O>[];
  running: boolean;
}

export const DEFAULT_WINDOW_MS = 40;
export const DEFAULT_MAX_VALUES = 1000;
const STATS_KEPT = 1000;

/** A key for an instance as configured now: settings edits start a separate queue. */
export function instanceKey(ctx: Pick<ConnectorContext<unknown, unknown>, 'instance' | 'config' | 'secrets'>, ...extra: string[]): string {
  const settings = createHash('sha256').update(JSON.stringify([ctx.config, ctx.secrets])).digest('hex').slice(0, 24);
  return [ctx.instance.tenantId, ctx.instance.id, settings, ...extra].join('\u0000');
}

export class Batcher<C extends Ctx, O extends string = string> {
  private readonly queues = new Map<string, Queue<C, O>>();
  private readonly windowMs: number;
  private readonly maxValues: number;
  readonly stats: BatchStats = { batchSizes: [], batchCallers: [], resent: 0 };

  constructor(
    private readonly apply: (ctx: C, op: O, values: string[]) => Promise<BatchOutcome>,
    options: BatchOptions = {},
  ) {
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.maxValues = options.maxValues ?? DEFAULT_MAX_VALUES;
  }

  /** Applies `values` with `op` as part of the next batch of `key`; resolves with this call's share. */
  submit(key: string, op: O, values: string[], ctx: C): Promise<BatchOutcome> {
    if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason ?? new OutboundError('aborted', 'the call was cancelled'));
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = { pending: [], running: false }));
    const q = queue;
    const done = new Promise<BatchOutcome>((resolve, reject) => {
      const entry: Pending<C, O> = {
        op,
        values: [...new Set(values)],
        ctx,
        settled: false,
        resolve: (o) => settle(entry, () => resolve(o)),
        reject: (e) => settle(entry, () => reject(e)),
        detach: () => ctx.signal.removeEventListener('abort', onAbort),
      };
      const onAbort = () => {
        // Not started: leave it out. Started: the caller stops waiting; the batch goes on for the others.
        const i = q.pending.indexOf(entry);
        if (i >= 0) q.pending.splice(i, 1);
        entry.reject(ctx.signal.reason ?? new OutboundError('aborted', 'the call was cancelled'));
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      q.pending.push(entry);
    });
    if (!q.running) void this.drain(key, q);
    return done;
  }

  private async drain(key: string, queue: Queue<C, O>): Promise<void> {
    queue.running = true;
    try {
      while (queue.pending.length) {
        if (this.windowMs > 0 && this.valuesFor(queue, queue.pending[0].op) < this.maxValues) await new Promise((r) => setTimeout(r, this.windowMs));
        // Every call may have been cancelled during the window.
        if (!queue.pending.length) break;
        const batch = this.take(queue);
        if (!batch.length) continue;
        await this.run(batch);
      }
    } finally {
      queue.running = false;
      if (queue.pending.length) void this.drain(key, queue);
      else this.queues.delete(key);
    }
  }

  /** Values waiting for `op` that could join its next batch (to skip the window when full). */
  private valuesFor(queue: Queue<C, O>, op: O): number {
    return queue.pending.reduce((n, p) => (p.op === op ? n + p.values.length : n), 0);
  }

  /** The next batch: the oldest call's operation, in arrival order, bounded, never reordering a value. */
  private take(queue: Queue<C, O>): Pending<C, O>[] {
    const op = queue.pending[0].op;
    const batch: Pending<C, O>[] = [];
    const skipped = new Set<string>();
    let size = 0;
    for (const p of queue.pending) {
      if (p.op !== op || p.values.some((v) => skipped.has(v))) {
        for (const v of p.values) skipped.add(v);
        continue;
      }
      if (batch.length && size + p.values.length > this.maxValues) break;
      batch.push(p);
      size += p.values.length;
    }
    const taken = new Set(batch);
    queue.pending = queue.pending.filter((p) => !taken.has(p));
    return batch;
  }

  private async run(batch: Pending<C, O>[]): Promise<void> {
    const values = [...new Set(batch.flatMap((p) => p.values))];
    this.stats.batchSizes.push(values.length);
    this.stats.batchCallers.push(batch.length);
    // A long-running server keeps only the recent history (tests and benches read a few entries).
    for (const list of [this.stats.batchSizes, this.stats.batchCallers]) if (list.length > STATS_KEPT) list.splice(0, list.length - STATS_KEPT);
    const live = () => batch.filter((p) => !p.ctx.signal.aborted);
    const abort = new AbortController();
    const onAbort = () => {
      if (!live().length) abort.abort(new OutboundError('aborted', 'every call of the batch was cancelled'));
    };
    const signals = [...new Set(batch.map((p) => p.ctx.signal))];
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    // Every caller has the same instance and settings (the key says so); the first one lends the
    // rest of its context, with a signal and an outbound client that belong to the batch.
    const ctx = { ...batch[0].ctx, signal: abort.signal, http: sharedHttp(batch[0].ctx.http, live, abort.signal, () => this.stats.resent++) } as C;
    let outcome: BatchOutcome;
    try {
      outcome = await this.apply(ctx, batch[0].op, values);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    } finally {
      for (const s of signals) s.removeEventListener('abort', onAbort);
    }
    const changed = new Set(outcome.changed);
    const unchanged = new Set(outcome.unchanged);
    let createdReported = false;
    for (const p of batch) {
      if (p.settled) continue;
      const failed = p.values.filter((v) => outcome.failed?.has(v));
      if (failed.length) {
        p.reject(failureOf(p.values, failed, outcome.failed!, changed));
        continue;
      }
      const missing = p.values.filter((v) => !changed.has(v) && !unchanged.has(v));
      if (missing.length) {
        p.reject(new FirewallError('request', `the batch did not report on ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ' …' : ''}: see the device`));
        continue;
      }
      const mine: BatchOutcome = {
        changed: p.values.filter((v) => changed.has(v)),
        unchanged: p.values.filter((v) => unchanged.has(v)),
        created: createdReported ? [] : outcome.created,
        facts: { ...outcome.facts, ...(batch.length > 1 ? { batch: { actions: batch.length, values: values.length } } : {}) },
      };
      createdReported = true;
      p.resolve(mine);
    }
  }
}

function settle<C extends Ctx, O extends string>(entry: Pending<C, O>, fn: () => void): void {
  if (entry.settled) return;
  entry.settled = true;
  entry.detach();
  fn();
}

/** The error of a caller whose values the device refused (some or all of them). */
function failureOf(values: string[], failed: string[], errors: Map<string, unknown>, changed: Set<string>): unknown {
  if (values.length === 1) return errors.get(values[0]);
  const first = errors.get(failed[0]);
  const reason = first instanceof Error ? first.message : String(first);
  const applied = values.filter((v) => changed.has(v)).length;
  return new FirewallError(
    'request',
    `${failed.length} of ${values.length} values failed (${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ' …' : ''}: ${reason})${applied ? `; the other ${applied} were applied: launch again for the failed ones` : ''}`,
  );
}

/**
 * An outbound client for a batch: each request goes through a caller that still waits (its
 * client carries that caller's proxy setting and deadline), and is sent again through another
 * caller when the one it went through aborted meanwhile.
 */
function sharedHttp<C extends Ctx>(first: OutboundClient, live: () => Pending<C, string>[], signal: AbortSignal, resent: () => void, defaults: Partial<OutboundRequest> = {}): OutboundClient {
  const client: OutboundClient = {
    async request<T>(req: OutboundRequest) {
      const merged = { ...defaults, ...req, headers: { ...defaults.headers, ...req.headers } } as OutboundRequest;
      for (;;) {
        const carrier = live()[0];
        if (!carrier || signal.aborted) throw signal.reason ?? new OutboundError('aborted', 'every call of the batch was cancelled');
        try {
          return await carrier.ctx.http.request<T>({ ...merged, signal: merged.signal ? AbortSignal.any([merged.signal, signal]) : signal });
        } catch (err) {
          if (carrier.ctx.signal.aborted && !signal.aborted) {
            resent();
            continue;
          }
          throw err;
        }
      }
    },
    scoped: (more) => sharedHttp(first, live, signal, resent, { ...defaults, ...more, headers: { ...defaults.headers, ...more.headers } } as Partial<OutboundRequest>),
    stats: () => first.stats(),
    // The connections belong to the installation's client, not to a batch.
    close: async () => {},
  };
  return client;
}
