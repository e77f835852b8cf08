import { randomUUID } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Transaction } from 'kysely';
import type { Database } from '../platform/db/index.ts';
import type { Logger } from '../platform/log/index.ts';
import type { ConnectorContext, ConnectorType, EnrichAnswer, EnrichmentResult, LicenseFacts } from '../integrations/framework/contract.ts';
import type { IntegrationsService } from '../integrations/framework/instances.ts';
import { ENRICH_TYPES, cacheTtlMs, isEnrichType, normalizeValue } from '../integrations/ktip/index.ts';
import { SERVICE_TITLES, type KtipConfig, type KtipService } from '../integrations/ktip/settings.ts';
import { cacheKey, credentialFingerprint, nextUtcMidnight, utcDay } from './keys.ts';
import { EnrichmentStore, type CacheIdentity, type CacheRow } from './store.ts';

export const ENRICHMENT_CONNECTOR_TYPE = 'ktip';

export interface Observable {
  type: string;
  value: string;
}

export type EnrichStatus = 'ok' | 'notEnrichable' | 'notConfigured' | 'error';

export interface EnrichError {
  /** auth | quota | forbidden | invalid | tooLong | notFound | unavailable | network | circuitOpen | error */
  kind: string;
  message: string;
  /** ISO time after which a retry can succeed (quota reset, circuit re-opening). */
  retryAt?: string;
}

export interface ObservableEnrichment {
  type: string;
  /** As given. */
  value: string;
  status: EnrichStatus;
  /** The Enrichment column. */
  enrichment?: EnrichmentResult;
  /** The Status update column (TIP Premium). */
  statusUpdate?: EnrichmentResult;
  /** Served from the cache, without an upstream request for this call. */
  cached: boolean;
  error?: EnrichError;
}

export interface EnrichOptions {
  /** Skip the cache: always ask the service (still coalesced with identical calls in flight). */
  force?: boolean;
  signal?: AbortSignal;
}

export interface QuotaReport {
  configured: boolean;
  service: KtipService | null;
  source: string | null;
  /** The UTC day the counts are for (YYYY-MM-DD). */
  day: string;
  /** Quota-consuming lookups xdrhub made today with the tenant's credential. */
  requestsToday: number;
  /** Quota-free Status update refreshes made today (Premium). */
  statusRequestsToday: number;
  /** The last LicenseInfo the service reported (TIP only). */
  license: (LicenseFacts & { reportedAt: string }) | null;
  dayQuota: number | null;
  /** Null when the service does not report its quota (OpenTIP). */
  remaining: number | null;
  exhaustedUntil: string | null;
  message: string;
}

export interface EnrichmentServiceDeps {
  database: Database;
  integrations: IntegrationsService;
  logger: Logger;
  /** Injected in tests to move time (TTL, quota reset). */
  clock?: () => number;
  /** Upstream calls in flight per credential in this process. Default 16. */
  maxConcurrentPerCredential?: number;
  /** How often a process waiting for another's lookup looks for the result. Default 25 ms. */
  pollMs?: number;
  /** A pending lookup older than this is taken over (its worker died). Default 2 min. */
  pendingStaleMs?: number;
}

interface Job {
  tenantId: string;
  service: KtipService;
  credential: string;
  type: string;
  value: string;
  key: string;
  force: boolean;
  ttlMs: number;
}

interface Fetched {
  enrichment: EnrichmentResult;
  statusUpdate?: EnrichmentResult;
}

const NOT_CONFIGURED = 'no enabled Kaspersky TIP integration on this tenant';
const NO_TOKEN = 'the Kaspersky TIP integration has no token: add one';

interface SourceFacts {
  instanceId: string;
  updatedAt: number;
  service: KtipService;
  credential: string;
  ttlMs: number;
  /** The tenant setting "enrich new alerts automatically" (off by default: it spends quota). */
  autoEnrich: boolean;
}

type Source = { ctx: ConnectorContext<KtipConfig>; connector: ConnectorType; service: KtipService; credential: string; ttlMs: number };

class QuotaBlocked extends Error {
  constructor(
    message: string,
    readonly until: number,
  ) {
    super(message);
  }
}

/**
 * Threat-intelligence enrichment of observables through the tenant's `ktip` integration, with a
 * per-tenant cache (TTL from the integration's settings), coalescing of identical lookups (in
 * this process with a map of promises, across processes with a pending row), and quota
 * bookkeeping per credential. See docs/enrichment.md.
 */
export class EnrichmentService {
  readonly enrichTypes: readonly string[] = ENRICH_TYPES;
  private readonly store: EnrichmentStore;
  private readonly clock: () => number;
  private readonly owner = randomUUID();
  private readonly inFlight = new Map<string, Promise<Fetched>>();
  private readonly statusInFlight = new Map<string, Promise<EnrichmentResult | null>>();
  private readonly limits = new Map<string, LimitFunction>();
  private readonly sources = new Map<string, SourceFacts>();

  constructor(private readonly deps: EnrichmentServiceDeps) {
    this.store = new EnrichmentStore(deps.database);
    this.clock = deps.clock ?? Date.now;
  }

  /** Results in the order of `observables`. */
  async enrich(tenantId: string, observables: Observable[], options: EnrichOptions = {}): Promise<ObservableEnrichment[]> {
    const results: ObservableEnrichment[] = observables.map((o) => ({ type: o.type, value: o.value, status: 'notEnrichable', cached: false }));
    const wanted: { index: number; type: string; value: string }[] = [];
    observables.forEach((o, index) => {
      const value = isEnrichType(o.type) ? normalizeValue(o.type, String(o.value ?? '')) : null;
      if (value !== null) wanted.push({ index, type: o.type, value });
    });
    // Nothing enrichable: no instance lookup, no request.
    if (wanted.length === 0) return results;

    const found = await this.source(tenantId, options.signal);
    if ('notConfigured' in found) return markNotConfigured(results, wanted, found.notConfigured);

    // Cache hits need no connector context (no secrets decrypted, no outbound client).
    const misses: { index: number; type: string; value: string; row?: CacheRow }[] = [];
    const keys = wanted.map((w) => cacheKey(tenantId, found.service, found.credential, w.type, w.value));
    const rows = options.force ? new Map<string, CacheRow>() : await this.store.readMany([...new Set(keys)]);
    const now = this.clock();
    wanted.forEach((w, i) => {
      const row = rows.get(keys[i]);
      if (row && this.fresh(row, found.ttlMs, now)) results[w.index] = { ...results[w.index], status: 'ok', cached: true, ...fromRow(row) };
      else misses.push({ ...w, row });
    });
    if (misses.length === 0) return results;

    await this.withSource(tenantId, options.signal, results, misses, async (src) => {
      await Promise.all(
        misses.map(async ({ index, type, value, row }) => {
          const job = this.job(tenantId, src, type, value, !!options.force);
          try {
            const fetched = await this.shared(job, src);
            // A Status update refreshed earlier stays when this answer brings none.
            results[index] = { ...results[index], status: 'ok', cached: false, ...(row ? { statusUpdate: fromRow(row).statusUpdate } : {}), ...stripUndefined(fetched) };
            if (!results[index].statusUpdate) delete results[index].statusUpdate;
          } catch (err) {
            if (src.ctx.signal.aborted && !(err instanceof QuotaBlocked)) throw err;
            results[index] = { ...results[index], status: 'error', cached: false, error: toError(err) };
          }
        }),
      );
    });
    return results;
  }

  /**
   * Refreshes the Status update column (TIP Premium: a reputation refresh that spends no quota).
   * Other services answer notConfigured with a message saying so.
   */
  async refreshStatus(tenantId: string, observables: Observable[], options: { signal?: AbortSignal } = {}): Promise<ObservableEnrichment[]> {
    const results: ObservableEnrichment[] = observables.map((o) => ({ type: o.type, value: o.value, status: 'notEnrichable', cached: false }));
    const wanted: { index: number; type: string; value: string }[] = [];
    observables.forEach((o, index) => {
      const value = isEnrichType(o.type) ? normalizeValue(o.type, String(o.value ?? '')) : null;
      if (value !== null) wanted.push({ index, type: o.type, value });
    });
    if (wanted.length === 0) return results;
    await this.withSource(tenantId, options.signal, results, wanted, async (src) => {
      if (src.service !== 'tipPremium' || !src.connector.statusUpdate) {
        for (const w of wanted) results[w.index] = { ...results[w.index], status: 'notConfigured', error: { kind: 'notConfigured', message: `Status update needs Kaspersky TIP (Premium access); this tenant uses ${SERVICE_TITLES[src.service]}` } };
        return;
      }
      const limit = this.limitFor(src);
      await Promise.all(
        wanted.map(async (w) => {
          const job = this.job(tenantId, src, w.type, w.value, true);
          try {
            let p = this.statusInFlight.get(job.key);
            if (!p) {
              p = limit(async () => {
                const status = await src.connector.statusUpdate!(src.ctx, { type: job.type, value: job.value });
                await this.store.count(job.service, job.credential, utcDay(this.clock()), 'status_requests');
                if (status) await this.store.writeStatus(identity(job), JSON.stringify(status), this.clock());
                return status;
              }).finally(() => this.statusInFlight.delete(job.key));
              this.statusInFlight.set(job.key, p);
            }
            const status = await p;
            results[w.index] = { ...results[w.index], status: 'ok', ...(status ? { statusUpdate: status } : {}) };
          } catch (err) {
            results[w.index] = { ...results[w.index], status: 'error', error: toError(err) };
          }
        }),
      );
    });
    return results;
  }

  /** Usage and remaining quota of the tenant's current credential. */
  async quota(tenantId: string): Promise<QuotaReport> {
    const now = this.clock();
    const day = utcDay(now);
    const empty: QuotaReport = { configured: false, service: null, source: null, day, requestsToday: 0, statusRequestsToday: 0, license: null, dayQuota: null, remaining: null, exhaustedUntil: null, message: 'no enabled Kaspersky TIP integration on this tenant' };
    const [instance] = await this.deps.integrations.enabledOfType(tenantId, ENRICHMENT_CONNECTOR_TYPE);
    if (!instance) return empty;
    return this.deps.integrations.withConnector(tenantId, instance.id, async (ctx) => {
      const config = ctx.config as KtipConfig;
      const token = (ctx.secrets as { token?: string }).token;
      const base = { ...empty, configured: !!token, service: config.service, source: SERVICE_TITLES[config.service] };
      if (!token) return { ...base, message: 'no token is set: add one' };
      const credential = credentialFingerprint(token);
      const [usage, cred] = await Promise.all([this.store.usage(config.service, credential, day), this.store.credential(config.service, credential)]);
      const license = cred?.license && cred.license_at !== null ? { ...(JSON.parse(cred.license) as LicenseFacts), reportedAt: new Date(cred.license_at).toISOString() } : null;
      const licenseToday = license && cred && utcDay(cred.license_at!) === day;
      const exhausted = cred?.exhausted_until && cred.exhausted_until > now ? cred.exhausted_until : null;
      const dayQuota = license?.dayQuota ?? null;
      let remaining: number | null = null;
      if (dayQuota !== null) remaining = Math.max(0, dayQuota - (licenseToday ? (license!.dayRequests ?? 0) : 0));
      if (exhausted) remaining = 0;
      const message = exhausted
        ? (cred!.exhausted_reason ?? `quota exhausted until ${new Date(exhausted).toISOString()}`)
        : remaining !== null
          ? `${remaining} of ${dayQuota} requests left today`
          : `${usage.requests} requests today; ${SERVICE_TITLES[config.service]} does not report its quota`;
      return { ...base, requestsToday: usage.requests, statusRequestsToday: usage.statusRequests, license, dayQuota, remaining, exhaustedUntil: exhausted ? new Date(exhausted).toISOString() : null, message };
    });
  }

  /**
   * Whether new alerts of the tenant are enriched automatically: its enabled ktip integration,
   * with a token, has `autoEnrichNewAlerts` on. Cheap: read from the per-instance facts.
   */
  async autoEnrichEnabled(tenantId: string): Promise<boolean> {
    const found = await this.source(tenantId);
    return !('notConfigured' in found) && found.autoEnrich;
  }

  /** Tenant purge: the tenant's cache rows go with it (usage and quota are per credential). */
  async purgeTenants(tenantIds: string[], trx?: Transaction<any>): Promise<void> {
    await this.store.purgeTenants(tenantIds, trx);
  }

  // ── internals ─────────────────────────────────────────────────────────────

  /**
   * The tenant's service, credential fingerprint and TTL. Kept per instance and its `updatedAt`
   * (which every settings, token or enablement change moves, in any process), so a cache hit
   * costs one indexed read here instead of decrypting the token on every call.
   */
  private async source(tenantId: string, signal?: AbortSignal): Promise<SourceFacts | { notConfigured: string }> {
    const [instance] = await this.deps.integrations.enabledOfType(tenantId, ENRICHMENT_CONNECTOR_TYPE);
    if (!instance) return { notConfigured: NOT_CONFIGURED };
    const known = this.sources.get(tenantId);
    if (known && known.instanceId === instance.id && known.updatedAt === instance.updatedAt) return known;
    const facts = await this.deps.integrations.withConnector(
      tenantId,
      instance.id,
      async (ctx, connector): Promise<SourceFacts | { notConfigured: string }> => {
        const config = ctx.config as KtipConfig;
        const token = (ctx.secrets as { token?: string }).token;
        if (!token || !connector.enrich) return { notConfigured: NO_TOKEN };
        return { instanceId: instance.id, updatedAt: instance.updatedAt, service: config.service, credential: credentialFingerprint(token), ttlMs: cacheTtlMs(config.cacheTtl), autoEnrich: config.autoEnrichNewAlerts === true };
      },
      signal,
    );
    if ('notConfigured' in facts) this.sources.delete(tenantId);
    else {
      if (this.sources.size >= 10_000) this.sources.clear();
      this.sources.set(tenantId, facts);
    }
    return facts;
  }

  /** Resolves the tenant's enabled ktip instance and runs fn with it; marks results notConfigured otherwise. */
  private async withSource(tenantId: string, signal: AbortSignal | undefined, results: ObservableEnrichment[], wanted: { index: number }[], fn: (src: Source) => Promise<void>): Promise<void> {
    const notConfigured = (message: string): void => void markNotConfigured(results, wanted, message);
    const [instance] = await this.deps.integrations.enabledOfType(tenantId, ENRICHMENT_CONNECTOR_TYPE);
    if (!instance) return notConfigured(NOT_CONFIGURED);
    await this.deps.integrations.withConnector(
      tenantId,
      instance.id,
      async (ctx, connector) => {
        const config = ctx.config as KtipConfig;
        const token = (ctx.secrets as { token?: string }).token;
        if (!token || !connector.enrich) return notConfigured(NO_TOKEN);
        await fn({ ctx: ctx as ConnectorContext<KtipConfig>, connector, service: config.service, credential: credentialFingerprint(token), ttlMs: cacheTtlMs(config.cacheTtl) });
      },
      signal,
    );
  }

  private job(tenantId: string, src: Source, type: string, value: string, force: boolean): Job {
    return { tenantId, service: src.service, credential: src.credential, type, value, key: cacheKey(tenantId, src.service, src.credential, type, value), force, ttlMs: src.ttlMs };
  }

  private fresh(row: CacheRow, ttlMs: number, now: number): boolean {
    return row.result !== null && row.fetched_at !== null && now - row.fetched_at < ttlMs;
  }

  private limitFor(src: Source): LimitFunction {
    const id = `${src.service}:${src.credential}`;
    let limit = this.limits.get(id);
    if (!limit) this.limits.set(id, (limit = pLimit(this.deps.maxConcurrentPerCredential ?? 16)));
    return limit;
  }

  /** One upstream lookup per key at a time in this process; callers of the same key share it. */
  private shared(job: Job, src: Source): Promise<Fetched> {
    let p = this.inFlight.get(job.key);
    if (!p) {
      p = this.coordinated(job, src).finally(() => this.inFlight.delete(job.key));
      this.inFlight.set(job.key, p);
    }
    return p;
  }

  /**
   * Across processes: the first to insert the pending row calls the service; the others poll
   * the cache until its row appears (or the claim disappears, and they try to claim it).
   */
  private async coordinated(job: Job, src: Source): Promise<Fetched> {
    const asked = this.clock();
    const signal = src.ctx.signal;
    for (;;) {
      await this.assertQuota(job);
      if (await this.store.claim(job.key, this.owner, this.clock())) {
        try {
          if (!job.force) {
            // Another process may have finished between our cache read and the claim.
            const row = await this.store.readOne(job.key);
            if (row && this.fresh(row, job.ttlMs, this.clock())) return fromRow(row) as Fetched;
          }
          return await this.limitFor(src)(() => this.upstream(job, src));
        } finally {
          await this.store.release(job.key, this.owner);
        }
      }
      let delay = this.deps.pollMs ?? 25;
      for (;;) {
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 200);
        const row = await this.store.readOne(job.key);
        if (row && row.result !== null && row.fetched_at !== null && (job.force ? row.fetched_at >= asked : this.fresh(row, job.ttlMs, this.clock()))) return fromRow(row) as Fetched;
        const pending = await this.store.pending(job.key);
        if (!pending) break; // the other process gave up (failed): try to claim it ourselves
        if (Number(pending.started_at) < this.clock() - (this.deps.pendingStaleMs ?? 120_000)) {
          await this.store.dropStale(job.key, this.clock() - (this.deps.pendingStaleMs ?? 120_000));
          break;
        }
      }
    }
  }

  private async upstream(job: Job, src: Source): Promise<Fetched> {
    let answer: EnrichAnswer;
    try {
      answer = await src.connector.enrich!(src.ctx, { type: job.type, value: job.value });
    } catch (err) {
      const until = (err as { quotaExhaustedUntil?: number }).quotaExhaustedUntil;
      if (typeof until === 'number') await this.store.setExhausted(job.service, job.credential, until, (err as Error).message);
      throw err;
    }
    const at = this.clock();
    await this.store.count(job.service, job.credential, utcDay(at), 'requests');
    if (answer.license) await this.store.setLicense(job.service, job.credential, JSON.stringify(answer.license), at);
    const status = answer.statusUpdate ? { json: JSON.stringify(answer.statusUpdate), at } : undefined;
    // The TTL runs on this service's clock (injectable), not the connector's.
    await this.store.writeResult(identity(job), JSON.stringify(answer.enrichment), at, status);
    return { enrichment: answer.enrichment, statusUpdate: answer.statusUpdate };
  }

  /** Refuses without a request while the credential is known to be out of quota. */
  private async assertQuota(job: Job): Promise<void> {
    const cred = await this.store.credential(job.service, job.credential);
    if (!cred) return;
    const now = this.clock();
    if (cred.exhausted_until !== null && cred.exhausted_until > now) {
      throw new QuotaBlocked(`${cred.exhausted_reason ?? `${SERVICE_TITLES[job.service]}: quota exhausted until ${new Date(cred.exhausted_until).toISOString()}`}; no request was sent`, cred.exhausted_until);
    }
    if (cred.license && cred.license_at !== null && utcDay(cred.license_at) === utcDay(now)) {
      const l = JSON.parse(cred.license) as LicenseFacts;
      if (l.dayQuota !== undefined && l.dayRequests !== undefined && l.dayRequests >= l.dayQuota) {
        const until = nextUtcMidnight(now);
        throw new QuotaBlocked(`${SERVICE_TITLES[job.service]}: quota exhausted until ${new Date(until).toISOString()} (${l.dayRequests} of ${l.dayQuota} requests used); no request was sent`, until);
      }
    }
  }
}

function markNotConfigured(results: ObservableEnrichment[], wanted: { index: number }[], message: string): ObservableEnrichment[] {
  for (const w of wanted) results[w.index] = { ...results[w.index], status: 'notConfigured', error: { kind: 'notConfigured', message } };
  return results;
}

function identity(job: Job): CacheIdentity {
  return { key: job.key, tenant_id: job.tenantId, service: job.service, credential: job.credential, obs_type: job.type, obs_value: job.value };
}

function fromRow(row: CacheRow): Partial<Fetched> {
  const out: Partial<Fetched> = {};
  if (row.result) out.enrichment = JSON.parse(row.result) as EnrichmentResult;
  if (row.status_update) out.statusUpdate = JSON.parse(row.status_update) as EnrichmentResult;
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toError(err: unknown): EnrichError {
  if (err instanceof QuotaBlocked) return { kind: 'quota', message: err.message, retryAt: new Date(err.until).toISOString() };
  const e = err as { kind?: string; message?: string; quotaExhaustedUntil?: number; extra?: { retryAt?: number } };
  const retry = e.quotaExhaustedUntil ?? e.extra?.retryAt;
  return { kind: typeof e.kind === 'string' ? e.kind : 'error', message: e.message ?? 'the lookup failed', ...(retry ? { retryAt: new Date(retry).toISOString() } : {}) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
