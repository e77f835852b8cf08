// The one correlator of a bus deployment. Every worker process runs one of these, but only the
// holder of the KV lease (leader.ts) reads the matches stream: all of a tenant's correlation
// windows then live in one CorrelationEngine, whichever worker evaluated the base rules.
//
// Durability: a match is acknowledged only once a snapshot of the windows that contain it is in
// the KV bucket (and after the alert it completed was created). A correlator that dies therefore
// leaves to its successor exactly what the last snapshot lacks, as unacknowledged messages that
// NATS redelivers; the window entries remember each match's id, so a match both in the snapshot and
// redelivered counts once.
import { nanos, type JsMsg, type KV } from 'nats';
import type { AlertInput } from '../../alerts/types.ts';
import type { AlertsService } from '../../alerts/alerts.ts';
import type { Logger } from '../../platform/log/index.ts';
import { alertFromCorrelation } from '../pipeline/alert-mapping.ts';
import { SIGMA_ACTOR } from '../pipeline/processor.ts';
import type { EngineCache } from '../rules/engines.ts';
import type { CorrelationEngine, CorrelationSnapshot, Match } from '../sigma/index.ts';
import { CORRELATOR_CONSUMER, leaseBucket, matchesStream, stateBucket } from './config.ts';
import { Lease } from './leader.ts';
import { decodeFeed, matchKey } from './matches.ts';
import type { BusMetrics } from './metrics.ts';
import type { BusHandles, NatsBus } from './nats.ts';

/** Matches fetched per pull; the correlator handles them one by one as they arrive. */
const FETCH_MAX = 500;
const FETCH_EXPIRES_MS = 2000;
/** Held (unacknowledged) matches that trigger an early snapshot, to keep redelivery after a crash small. */
const SNAPSHOT_EARLY_AT = 5000;
/** Normalized events kept per group in a snapshot: what an alert shows (alert-mapping keeps 20). */
const RECENT_EVENTS = 20;
const RETRY_MAX_MS = 30_000;

export interface CorrelatorDeps {
  bus: NatsBus;
  engines: EngineCache;
  alerts: AlertsService;
  metrics: BusMetrics;
  logger: Logger;
}

interface TenantState {
  engine: CorrelationEngine | null;
  dirty: boolean;
}

/** One leadership term: its windows are valid only while the lease is held. */
interface Term {
  active: boolean;
  tenants: Map<string, TenantState>;
  /** Matches pushed into the windows, acknowledged at the next snapshot. */
  held: JsMsg[];
  timer: NodeJS.Timeout | null;
  loop: Promise<void>;
  /** The pull in progress, stopped when the term ends so a stop does not wait for its expiry. */
  fetch: { stop(): void } | null;
}

const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Correlator {
  private readonly lease: Lease;
  private term: Term | null = null;
  /** Batch handling and snapshots never interleave: a snapshot must not hold a window whose alert is not yet created. */
  private lock: Promise<unknown> = Promise.resolve();
  /** Base match's original fields → its normalized event (alerts show normalized events; Sigma matched the original). */
  private readonly normalizedOf = new WeakMap<object, Record<string, unknown>>();
  private kv: { h: BusHandles; lease: Promise<KV>; state: Promise<KV> } | null = null;
  private stopped = false;

  constructor(private readonly d: CorrelatorDeps) {
    this.lease = new Lease({ bucket: () => this.buckets().then((b) => b.lease), leaseMs: d.bus.config.leaseMs, logger: d.logger, onChange: (leader) => this.leadership(leader) });
  }

  /** Whether this process is the correlator right now (tests, metrics). */
  get leader(): boolean {
    return this.lease.leader;
  }

  start(): void {
    this.lease.start();
  }

  /** The KV buckets of the current connection (reopened after the bus reconnected from scratch). */
  private async buckets(): Promise<{ lease: KV; state: KV }> {
    const h = await this.d.bus.ready();
    if (this.kv?.h !== h) {
      const { stream, leaseMs } = this.d.bus.config;
      const lease = (async () => {
        const kv = await h.js.views.kv(leaseBucket(stream), { history: 1, ttl: leaseMs });
        // An existing bucket keeps its max_age; the lease setting may have changed since it was made.
        if ((await kv.status()).ttl !== leaseMs) await h.jsm.streams.update(`KV_${leaseBucket(stream)}`, { max_age: nanos(leaseMs) });
        return kv;
      })();
      const state = h.js.views.kv(stateBucket(stream), { history: 1 });
      this.kv = { h, lease, state };
      Promise.all([lease, state]).catch(() => {
        if (this.kv?.h === h) this.kv = null; // not cached: the next tick retries
      });
    }
    return { lease: await this.kv.lease, state: await this.kv.state };
  }

  private leadership(leader: boolean): void {
    this.d.metrics.correlatorLeader.set(leader ? 1 : 0);
    if (leader && !this.stopped) {
      const term: Term = { active: true, tenants: new Map(), held: [], timer: null, loop: Promise.resolve(), fetch: null };
      this.term = term;
      term.loop = this.consume(term);
      const tick = () => {
        term.timer = setTimeout(() => void this.exclusive(() => this.snapshot(term)).finally(() => term.active && tick()), this.d.bus.config.snapshotMs);
      };
      tick();
    } else if (!leader && this.term) void this.endTerm(false);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  private async consume(term: Term): Promise<void> {
    let attempt = 0;
    while (term.active) {
      try {
        const { js } = await this.d.bus.ready();
        const consumer = await js.consumers.get(matchesStream(this.d.bus.config.stream), CORRELATOR_CONSUMER);
        if (!term.active) break;
        const batch = await consumer.fetch({ max_messages: FETCH_MAX, expires: FETCH_EXPIRES_MS });
        term.fetch = batch;
        for await (const m of batch) {
          // Fenced: matches that arrive after the lease was lost go back at once for the new leader.
          if (!term.active || !this.lease.leader) {
            m.nak();
            continue;
          }
          await this.exclusive(() => this.handle(term, m));
          if (term.held.length >= SNAPSHOT_EARLY_AT) await this.exclusive(() => this.snapshot(term));
        }
        attempt = 0;
      } catch (err) {
        if (!term.active) break;
        if (attempt === 0) this.d.logger.error({ err }, 'events correlator: reading matches failed; retrying');
        await this.d.bus.reset().catch(() => {});
        await new Promise((r) => setTimeout(r, Math.min(RETRY_MAX_MS, 500 * 2 ** attempt++)));
      }
    }
  }

  /** The tenant's engine, with its windows as the last snapshot left them the first time this term sees it. */
  private async tenant(term: Term, tenantId: string): Promise<TenantState> {
    const detection = await this.d.engines.get(tenantId);
    let t = term.tenants.get(tenantId);
    if (t && t.engine === detection.correlation) return t;
    const next = detection.correlation;
    if (next) {
      // Rules changed (a rebuilt engine): windows carry over for the correlations that still exist.
      // First sight in this term: the snapshot, never what this process may remember from an older term.
      const snap = t?.engine ? t.engine.snapshot((m) => m, Infinity) : await this.load(tenantId);
      const groups = next.restore(snap ?? { v: 1, c: {} }, (x, rule) => (t?.engine ? (x as Match) : restoredMatch(x, rule)));
      if (!t && groups) this.d.logger.info({ tenantId, groups }, 'events correlator: correlation windows restored from the snapshot');
    }
    t = { engine: next, dirty: !!t };
    term.tenants.set(tenantId, t);
    return t;
  }

  private async load(tenantId: string): Promise<CorrelationSnapshot | null> {
    const e = await (await this.buckets()).state.get(`t.${tenantId}`);
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    try {
      return e.json<CorrelationSnapshot>();
    } catch {
      this.d.logger.warn({ tenantId }, 'events correlator: unreadable snapshot ignored');
      return null;
    }
  }

  private async handle(term: Term, m: JsMsg): Promise<void> {
    const { metrics, logger, bus } = this.d;
    const feed = decodeFeed(m, (t) => bus.matchSubject(t));
    if (!feed) {
      m.term();
      logger.warn({ seq: m.seq, subject: m.subject }, 'events correlator: message is not a correlation match; terminated');
      return;
    }
    let t: TenantState;
    try {
      t = await this.tenant(term, feed.tenantId);
    } catch (err) {
      // Rules or snapshot unreadable (database or NATS down): try again later; the windows have not moved.
      logger.error({ err, tenantId: feed.tenantId }, 'events correlator: rules or snapshot could not be loaded');
      m.nak(2000);
      return;
    }
    metrics.correlatorMatches.inc();
    if (!t.engine) {
      // The correlation was removed since the worker forwarded the match.
      term.held.push(m);
      return;
    }
    this.normalizedOf.set(feed.match.event, feed.normalized);
    const completed = t.engine.push(feed.match, feed.time, matchKey(feed.eventId, feed.match.ruleId));
    t.dirty = true;
    if (completed.length) {
      const inputs: AlertInput[] = completed.map((c) => {
        const input = alertFromCorrelation(c, (o) => this.normalizedOf.get(o));
        // Entries restored as bare counts carry no event.
        input.events = input.events?.filter((e) => typeof e === 'object' && e !== null && Object.keys(e).length > 0);
        return input;
      });
      try {
        await this.createAlerts(term, feed.tenantId, inputs, m);
      } catch {
        m.nak(); // the successor gets it again, on top of windows from before it
        return;
      }
    }
    term.held.push(m);
  }

  /**
   * The window was reset by the alert, so the alert must be written before anything else happens:
   * retried while this process leads. Losing the lease meanwhile leaves it to the successor, which
   * restores the windows from before this match and gets the match again.
   */
  private async createAlerts(term: Term, tenantId: string, inputs: AlertInput[], m: JsMsg): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (!term.active || !this.lease.leader) throw new Error('leadership lost while an alert was pending');
      try {
        const res = await this.d.alerts.createAlerts(tenantId, inputs, SIGMA_ACTOR);
        this.d.metrics.correlationAlerts.inc(res.filter((r) => r.created).length);
        return;
      } catch (err) {
        if (attempt === 0) this.d.logger.error({ err, tenantId }, 'events correlator: correlation alert could not be written; retrying');
        m.working();
        for (const h of term.held) h.working();
        await new Promise((r) => setTimeout(r, Math.min(RETRY_MAX_MS, 500 * 2 ** attempt)));
      }
    }
  }

  /** Writes the windows of every tenant that changed, then acknowledges the matches they hold. */
  private async snapshot(term: Term, final = false): Promise<void> {
    if ((!term.active && !final) || !this.lease.leader) return;
    const held = term.held.splice(0);
    const dirty = [...term.tenants].filter(([, t]) => t.dirty);
    try {
      if (dirty.length) {
        const { state } = await this.buckets();
        const limit = Math.max(1024, (this.kv!.h.nc.info?.max_payload ?? 1024 * 1024) - 4096);
        for (const [tenantId, t] of dirty) {
          const body = this.encode(tenantId, t.engine, limit);
          // Fenced again right before the write: a stale leader must not overwrite its successor's snapshot.
          if (!this.lease.leader) throw new Error('leadership lost');
          await state.put(`t.${tenantId}`, body);
          t.dirty = false;
          this.d.metrics.snapshotBytes.set(body.length);
        }
        this.d.metrics.snapshots.inc();
      }
      for (const m of held) m.ack();
    } catch (err) {
      // Kept for the next attempt; the progress signal keeps NATS from redelivering them meanwhile.
      term.held.unshift(...held);
      for (const m of held) m.working();
      if (term.active || final) this.d.logger.error({ err }, 'events correlator: snapshot could not be written; retrying');
    }
  }

  /** Compact JSON; if too large for one KV value, only the most recently updated groups are kept (counted). */
  private encode(tenantId: string, engine: CorrelationEngine | null, limit: number): Uint8Array {
    const encodeMatch = (m: Match, recent: boolean) => (recent ? (this.normalizedOf.get(m.event) ?? m.event) : 0);
    let maxGroups = Infinity;
    for (;;) {
      const snap: CorrelationSnapshot = engine ? engine.snapshot(encodeMatch, RECENT_EVENTS, maxGroups) : { v: 1, c: {} };
      const body = Buffer.from(JSON.stringify(snap));
      if (body.length <= limit || maxGroups === 0) return body;
      const groups = Math.max(...Object.values(snap.c).map((g) => g.length));
      maxGroups = Math.floor(groups / 2);
      this.d.metrics.snapshotTrimmed.inc();
      this.d.logger.warn({ tenantId, bytes: body.length, keepGroups: maxGroups }, 'events correlator: snapshot too large; keeping the most recent groups');
    }
  }

  /** Ends the term: on a graceful stop the windows are snapshotted last; held matches not in a snapshot go back at once. */
  private async endTerm(graceful: boolean): Promise<void> {
    const term = this.term;
    if (!term) return;
    this.term = null;
    term.active = false;
    if (term.timer) clearTimeout(term.timer);
    term.fetch?.stop();
    await term.loop;
    if (graceful) await this.exclusive(() => this.snapshot(term, true));
    await this.exclusive(async () => {
      for (const m of term.held.splice(0)) m.nak();
    });
  }

  /** Graceful stop: last snapshot, then the lease is released so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.endTerm(true);
    await this.lease.stop(true);
    this.d.metrics.correlatorLeader.set(0);
  }
}

/** A match rebuilt from a snapshot: only what an alert uses survives (its normalized event, if recent). */
function restoredMatch(x: unknown, rule: string): Match {
  return { ruleId: rule, title: rule, level: '', tags: [], techniques: [], tactics: [], logsource: {}, event: obj(x) ? x : {} };
}
