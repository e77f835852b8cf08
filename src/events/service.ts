// The events product: collectors per tenant with their listeners and HTTP ingest, storage and
// search of normalized events, retention, and Sigma rules per tenant turned into alerts.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { Transaction } from 'kysely';
import type client from 'prom-client';
import type { Database } from '../platform/db/index.ts';
import type { Vault, SecretRef } from '../platform/secrets/index.ts';
import type { JobQueue } from '../platform/jobs/index.ts';
import type { Logger } from '../platform/log/index.ts';
import { invalidField, unauthorized } from '../platform/errors.ts';
import type { AlertsService } from '../alerts/alerts.ts';
import { CollectorStore, checkSources, type Collector, type CollectorInput, type CollectorPatch } from './store/collectors.ts';
import { DEFAULT_RETENTION_DAYS, EventStore, type EventSearch, type StoredEvent } from './store/events.ts';
import { RuleStore, type DetectionRule } from './rules/store.ts';
import { parseRuleFile } from './rules/import.ts';
import { EngineCache } from './rules/engines.ts';
import { PipelineMetrics } from './pipeline/metrics.ts';
import { BoundedQueue, type RawEvent } from './pipeline/queue.ts';
import { Processor, type BatchResult } from './pipeline/processor.ts';
import { QueueRunner } from './pipeline/runner.ts';
import { DiskSpool } from './pipeline/spool.ts';
import { SpoolingIntake } from './pipeline/intake.ts';
import { startListener, type Listener } from './pipeline/listeners.ts';
import { EventsBus, busEnv, type BusConfig } from './bus/index.ts';
import { FileTailer, type FileTailStatus } from './pipeline/file-tail.ts';
import { checkFilePath, parseFileCollectorDirs } from './pipeline/file-path.ts';
import { TailOffsets } from './pipeline/tail-offsets.ts';

export const RETENTION_JOB = 'events.retention';
const RETENTION_EVERY_MS = 3_600_000;
const OWNER_KIND = 'event-collector';

export interface EventsOptions {
  database: Database;
  vault: Vault;
  alerts: AlertsService;
  jobs: JobQueue;
  logger: Logger;
  metricsRegistry: client.Registry;
  /** Address the syslog listeners bind (XDRHUB_COLLECTOR_HOST, default 127.0.0.1). */
  host?: string;
  /** Default retention (XDRHUB_EVENT_RETENTION_DAYS, default 30). */
  retentionDays?: number;
  /** Raw events held in memory between listeners and the database. */
  queueCapacity?: number;
  /** Directory of the disk buffer (created when listeners start); null = no disk buffer. */
  spoolDir?: string | null;
  /** Bound of the disk buffer (XDRHUB_EVENT_SPOOL_MB, default 256; 0 = none). */
  spoolMaxBytes?: number;
  /** Directories file collectors may read (XDRHUB_FILE_COLLECTOR_DIRS); none = file collectors refused. */
  fileCollectorDirs?: string[];
  /** Poll interval of file collectors (tests shorten it). */
  filePollMs?: number;
  /** NATS JetStream bus (XDRHUB_EVENTS_BUS); null/unset = the embedded in-process pipeline. */
  bus?: BusConfig | null;
}

export interface CollectorView extends Omit<Collector, 'tlsCert'> {
  tlsCertificate: string | null;
  /** The bound port while the listener runs (differs from `port` when that is 0), else null. */
  listeningPort: number | null;
  /** File collectors: whether the file is read, awaited or refused, and how far; null otherwise or when not running. */
  fileStatus: FileTailStatus | null;
  metrics: Record<string, number | null>;
}

const hash = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Reads the module's settings from the environment the app was built from. */
export function eventsEnv(env: NodeJS.ProcessEnv): Pick<EventsOptions, 'host' | 'retentionDays' | 'spoolMaxBytes' | 'fileCollectorDirs' | 'bus'> {
  const days = env.XDRHUB_EVENT_RETENTION_DAYS ? Number(env.XDRHUB_EVENT_RETENTION_DAYS) : DEFAULT_RETENTION_DAYS;
  if (!Number.isInteger(days) || days < 1) throw new Error(`XDRHUB_EVENT_RETENTION_DAYS must be a positive integer, got "${env.XDRHUB_EVENT_RETENTION_DAYS}"`);
  const spoolMb = env.XDRHUB_EVENT_SPOOL_MB ? Number(env.XDRHUB_EVENT_SPOOL_MB) : 256;
  if (!Number.isFinite(spoolMb) || spoolMb < 0) throw new Error(`XDRHUB_EVENT_SPOOL_MB must be a number ≥ 0, got "${env.XDRHUB_EVENT_SPOOL_MB}"`);
  return { host: env.XDRHUB_COLLECTOR_HOST || '127.0.0.1', retentionDays: days, spoolMaxBytes: spoolMb * 1024 * 1024, fileCollectorDirs: parseFileCollectorDirs(env.XDRHUB_FILE_COLLECTOR_DIRS), bus: busEnv(env) };
}

export class EventsService {
  readonly collectors: CollectorStore;
  readonly events: EventStore;
  readonly rules: RuleStore;
  readonly metrics: PipelineMetrics;
  private readonly engines: EngineCache;
  private readonly queue: BoundedQueue;
  private readonly intake: SpoolingIntake;
  private readonly processor: Processor;
  private readonly runner: QueueRunner;
  /** With XDRHUB_EVENTS_BUS: listeners publish to it, worker processes consume from it. */
  private readonly bus: EventsBus | null;
  /** Enabled collectors by id: the processor's and the listeners' view of the definitions. */
  private readonly active = new Map<string, Collector>();
  private readonly listeners = new Map<string, Listener>();
  private readonly tokenHashes = new Map<string, Buffer>();
  private started = false;
  /** Tenants deleted (purge pending): their collectors neither listen nor ingest. */
  private readonly deletedTenants = new Set<string>();
  /** Serializes listener changes so a quick disable/enable cannot leave two sockets. */
  private syncing: Promise<unknown> = Promise.resolve();
  private readonly host: string;
  readonly retentionDays: number;
  /** Read offsets of file collectors, beside the spool (created when listeners start). */
  private tailOffsets: TailOffsets | null = null;

  constructor(private readonly o: EventsOptions) {
    const db = o.database.db;
    this.collectors = new CollectorStore(db);
    this.events = new EventStore(db, o.database.dialect);
    this.rules = new RuleStore(db);
    this.engines = new EngineCache(this.rules);
    this.metrics = new PipelineMetrics(o.metricsRegistry);
    this.queue = new BoundedQueue(o.queueCapacity ?? 50_000);
    this.intake = new SpoolingIntake(this.queue);
    this.host = o.host ?? '127.0.0.1';
    this.retentionDays = o.retentionDays ?? DEFAULT_RETENTION_DAYS;
    this.processor = new Processor({
      store: this.events, engines: this.engines, alerts: o.alerts, metrics: this.metrics, logger: o.logger, collector: (id) => this.active.get(id),
      // HTTP ingest stores in the receiving process even with the bus; its correlation matches still
      // go to the one correlator. Best effort: the events are stored and the 202 must not turn into
      // a retry that stores them twice, so a failed hand-over is logged and those matches are not counted.
      forwardCorrelation: o.bus
        ? (feeds) => this.bus!.forwardMatches(feeds).catch((err) => o.logger.error({ err, count: feeds.length }, 'correlation matches from HTTP ingest could not be handed to the correlator'))
        : undefined,
    });
    this.bus = o.bus
      ? new EventsBus({ config: o.bus, logger: o.logger, registry: o.metricsRegistry, events: this.events, rules: this.rules, alerts: o.alerts, metrics: this.metrics, findCollector: (id) => this.collectors.find(id), tenantDeleted: (t) => this.deletedTenants.has(t) })
      : null;
    // With the bus, a batch is done once NATS holds it; one it refuses goes to the spool and is retried, as when the database refuses one.
    this.runner = new QueueRunner(this.queue, this.bus?.publisher ?? this.processor, this.metrics, o.logger);
    o.jobs.register(RETENTION_JOB, async () => {
      const deleted = await this.enforceRetention();
      await this.scheduleRetention();
      return { deleted };
    });
  }

  // ── collectors ─────────────────────────────────────────────────────────────
  private ref(c: { tenantId: string; id: string }): SecretRef {
    return { tenantId: c.tenantId, ownerKind: OWNER_KIND, ownerId: c.id };
  }

  /** Creates a collector; an HTTP collector's token is returned here only (the vault keeps it write-only). */
  async createCollector(tenantId: string, input: CollectorInput): Promise<{ collector: CollectorView; token?: string }> {
    checkSources(input.defaultSource, input.sourceOverrides);
    if (input.kind === 'syslog-tls' && !input.tls) throw invalidField('tls', 'a TLS collector needs a certificate and a key');
    if (input.kind !== 'syslog-tls' && input.tls) throw invalidField('tls', 'only syslog-tls collectors take a certificate');
    if (input.tls) {
      // A certificate/key pair that does not load would only show up as a listener that never starts.
      try {
        tls.createSecureContext({ cert: input.tls.cert, key: input.tls.key });
      } catch (err) {
        throw invalidField('tls', `certificate and key do not load: ${(err as Error).message}`);
      }
    }
    if (input.kind === 'file') await this.checkFileInput(input);
    else if (input.file) throw invalidField('file', 'only file collectors take a file');
    if (input.kind !== 'http' && input.kind !== 'file' && input.port === undefined) throw invalidField('port', 'a syslog collector needs a port (0 picks a free one)');
    const token = input.kind === 'http' ? `xdrc_${randomBytes(24).toString('base64url')}` : undefined;
    const collector = await this.o.database.db.transaction().execute(async (trx) => {
      const c = await this.collectors.insert(tenantId, input, trx);
      if (token) await this.o.vault.set(this.ref(c), 'token', token, trx);
      if (input.tls) await this.o.vault.set(this.ref(c), 'tlsKey', input.tls.key, trx);
      return c;
    });
    await this.sync(collector);
    return { collector: this.view(collector), token };
  }

  /** A file collector reads the server's filesystem: only inside XDRHUB_FILE_COLLECTOR_DIRS. */
  private async checkFileInput(input: Pick<CollectorInput, 'file' | 'port' | 'sourceOverrides'>): Promise<void> {
    if (!input.file) throw invalidField('file', 'a file collector needs file.path');
    if (input.port !== undefined) throw invalidField('port', 'a file collector listens on no port');
    if (input.sourceOverrides && Object.keys(input.sourceOverrides).length) throw invalidField('sourceOverrides', 'a file collector has no sender addresses: its events use defaultSource');
    await this.checkFilePath(input.file.path);
  }

  private async checkFilePath(p: string): Promise<void> {
    const check = await checkFilePath(p, this.o.fileCollectorDirs ?? []);
    if (!check.ok) throw invalidField('file.path', check.reason);
    const st = await fs.promises.stat(check.real).catch(() => null);
    if (st && !st.isFile()) throw invalidField('file.path', 'is not a regular file');
  }

  async listCollectors(tenantId: string): Promise<CollectorView[]> {
    return (await this.collectors.list(tenantId)).map((c) => this.view(c));
  }

  async getCollector(tenantId: string, id: string): Promise<CollectorView> {
    return this.view(await this.collectors.get(tenantId, id));
  }

  async updateCollector(tenantId: string, id: string, patch: CollectorPatch): Promise<CollectorView> {
    checkSources(patch.defaultSource, patch.sourceOverrides);
    if (patch.file !== undefined || (patch.sourceOverrides && Object.keys(patch.sourceOverrides).length)) {
      const current = await this.collectors.get(tenantId, id);
      if (patch.file !== undefined && current.kind !== 'file') throw invalidField('file', 'only file collectors take a file');
      if (current.kind === 'file' && patch.sourceOverrides && Object.keys(patch.sourceOverrides).length) throw invalidField('sourceOverrides', 'a file collector has no sender addresses: its events use defaultSource');
      if (patch.file) await this.checkFilePath(patch.file.path);
    }
    const c = await this.collectors.update(tenantId, id, patch);
    // Another file is another reading: its offset starts over (per startAt).
    if (patch.file !== undefined) await this.sync(c, true, () => this.tailOffsets?.remove(c.id));
    else await this.sync(c, patch.port !== undefined);
    return this.view(c);
  }

  async deleteCollector(tenantId: string, id: string): Promise<void> {
    const c = await this.collectors.get(tenantId, id);
    await this.o.database.db.transaction().execute(async (trx) => {
      await this.collectors.delete(tenantId, id, trx);
      await this.o.vault.remove(this.ref(c), undefined, trx);
    });
    await this.sync({ ...c, enabled: false });
    this.tailOffsets?.remove(id);
    this.metrics.forget(id);
  }

  private view(c: Collector): CollectorView {
    const { tlsCert, ...rest } = c;
    const running = this.listeners.get(c.id);
    return {
      ...rest,
      tlsCertificate: tlsCert,
      listeningPort: running && !(running instanceof FileTailer) ? running.port : null,
      fileStatus: running instanceof FileTailer ? running.status() : null,
      metrics: this.metrics.of(c.id).view(),
    };
  }

  /** Brings the running state of one collector in line with its definition. */
  private sync(c: Collector, restart = false, whileStopped?: () => void): Promise<unknown> {
    const step = this.syncing.then(async () => {
      if (c.enabled && !this.deletedTenants.has(c.tenantId)) this.active.set(c.id, c);
      else this.active.delete(c.id);
      this.tokenHashes.delete(c.id);
      const running = this.listeners.get(c.id);
      if (running && (!this.active.has(c.id) || restart)) {
        this.listeners.delete(c.id);
        await running.close();
      }
      whileStopped?.();
      if (!this.started || !this.active.has(c.id) || c.kind === 'http' || this.listeners.has(c.id)) return;
      if (c.kind === 'file') {
        const offsets = (this.tailOffsets ??= new TailOffsets(null));
        const deps = { queue: this.intake, metrics: this.metrics, wake: () => this.runner.wake(), offsets, allowedDirs: this.o.fileCollectorDirs ?? [], logger: this.o.logger, pollMs: this.o.filePollMs };
        this.listeners.set(c.id, new FileTailer(c, deps).start());
        return;
      }
      try {
        const key = c.kind === 'syslog-tls' ? await this.o.vault.get(this.ref(c), 'tlsKey') : undefined;
        this.listeners.set(c.id, await startListener(c, { queue: this.intake, metrics: this.metrics, host: this.host, wake: () => this.runner.wake() }, key));
      } catch (err) {
        // A taken port must not stop the others (or the API): it is logged and the collector shows no listening port.
        this.o.logger.error({ err, collectorId: c.id, port: c.port }, 'collector listener could not start');
      }
    });
    this.syncing = step.catch(() => {});
    return step;
  }

  /** Starts every enabled collector's listener; later creations and changes start theirs at once. */
  async startCollectors(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.o.spoolDir && (this.o.spoolMaxBytes ?? 0) > 0 && !this.runner.spool) {
      const spool = new DiskSpool(this.o.spoolDir, this.o.spoolMaxBytes!);
      this.intake.spool = spool;
      this.runner.spool = spool;
    }
    if (!this.tailOffsets) {
      this.tailOffsets = new TailOffsets(this.o.spoolDir ? path.join(this.o.spoolDir, 'file-offsets') : null);
      this.tailOffsets.prune(await this.collectors.fileCollectorIds());
    }
    for (const c of await this.collectors.listEnabled()) await this.sync(c);
    // Events spooled before a restart are stored now that their collectors are known again.
    this.runner.wake();
  }

  /** Loads enabled definitions without listening (processes that only ingest over HTTP). */
  private async knownCollector(id: string): Promise<Collector | undefined> {
    const cached = this.active.get(id);
    if (cached) return cached;
    const c = await this.collectors.find(id);
    if (!c?.enabled || this.deletedTenants.has(c.tenantId)) return undefined;
    this.active.set(c.id, c);
    return c;
  }

  // ── HTTP ingest ────────────────────────────────────────────────────────────
  /**
   * Authenticates with the collector's token (constant-time compare of SHA-256 digests). The ingest
   * route calls it before the body is read; ingestHttp then processes the events to the end, so
   * the caller answers 202 only after they are stored and an acknowledged event is never lost.
   */
  async authenticateIngest(collectorId: string, token: string | undefined): Promise<Collector> {
    const c = await this.knownCollector(collectorId);
    // Unknown, disabled, non-HTTP collector and wrong token all look alike to the caller.
    if (!c || c.kind !== 'http' || !token || !(await this.tokenMatches(c, token))) throw unauthorized('send the collector token as Authorization: Bearer <token>');
    return c;
  }

  /** `c` comes from authenticateIngest. */
  async ingestHttp(c: Collector, items: unknown[], sourceIp: string): Promise<BatchResult> {
    const at = Date.now();
    const batch: RawEvent[] = items.map((it) => ({ collectorId: c.id, tenantId: c.tenantId, sourceIp, raw: typeof it === 'string' ? it : JSON.stringify(it), receivedAt: at }));
    this.metrics.countReceived(c.id, batch.length);
    return this.processor.process(batch);
  }

  private async tokenMatches(c: Collector, token: string): Promise<boolean> {
    let expected = this.tokenHashes.get(c.id);
    if (!expected) {
      const stored = await this.o.vault.get(this.ref(c), 'token');
      if (!stored) return false;
      expected = hash(stored);
      this.tokenHashes.set(c.id, expected);
    }
    return timingSafeEqual(hash(token), expected);
  }

  /** Worker processes (role all or worker) with XDRHUB_EVENTS_BUS: store events from the stream. */
  startBusConsumer(): void {
    this.bus?.startConsumer();
  }

  /** With the bus: whether this process currently is the one correlator (holds the lease). */
  get correlatorLeader(): boolean {
    return this.bus?.correlatorLeader ?? false;
  }

  /**
   * Resolves when every event received so far is stored and evaluated (tests, benchmarks); with
   * the bus, when it is in the stream (a worker stores it afterwards).
   */
  idle(): Promise<void> {
    return this.runner.idle();
  }

  // ── storage and search ─────────────────────────────────────────────────────
  search(q: EventSearch): Promise<{ items: StoredEvent[]; nextCursor: string | null }> {
    return this.events.search(q);
  }

  enforceRetention(at?: number): Promise<number> {
    return this.events.enforceRetention(this.retentionDays, at);
  }

  /** Queues the next retention run; one per hour slot however many workers start. */
  async scheduleRetention(): Promise<void> {
    const slot = Math.floor(Date.now() / RETENTION_EVERY_MS) + 1;
    await this.o.jobs.enqueue(RETENTION_JOB, {}, { runAt: slot * RETENTION_EVERY_MS, idempotencyKey: `${RETENTION_JOB}:${slot}` });
  }

  async getSettings(tenantId: string): Promise<{ retentionDays: number; defaultRetentionDays: number }> {
    return { retentionDays: await this.events.retentionDays(tenantId, this.retentionDays), defaultRetentionDays: this.retentionDays };
  }

  async setRetentionDays(tenantId: string, days: number): Promise<{ retentionDays: number; defaultRetentionDays: number }> {
    await this.events.setRetentionDays(tenantId, days);
    return this.getSettings(tenantId);
  }

  // ── detection rules ────────────────────────────────────────────────────────
  async importRules(tenantId: string, yamlText: string, fileName = 'upload.yml'): Promise<{ created: number; updated: number; items: DetectionRule[] }> {
    const docs = parseRuleFile(yamlText, fileName);
    const res = await this.rules.upsert(tenantId, docs);
    this.invalidateEngines(tenantId);
    return res;
  }

  listRules(tenantId: string): Promise<DetectionRule[]> {
    return this.rules.list(tenantId);
  }

  getRule(tenantId: string, id: string): Promise<DetectionRule> {
    return this.rules.get(tenantId, id);
  }

  async setRuleEnabled(tenantId: string, id: string, enabled: boolean): Promise<DetectionRule> {
    const r = await this.rules.setEnabled(tenantId, id, enabled);
    this.invalidateEngines(tenantId);
    return r;
  }

  private invalidateEngines(tenantId: string): void {
    this.engines.invalidate(tenantId);
    this.bus?.invalidate(tenantId);
  }

  async deleteRule(tenantId: string, id: string): Promise<void> {
    await this.rules.delete(tenantId, id);
    this.invalidateEngines(tenantId);
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────
  /** A deleted tenant's collectors stop at once (its rows go at the purge). */
  async stopTenants(tenantIds: string[]): Promise<void> {
    for (const t of tenantIds) this.deletedTenants.add(t);
    for (const c of [...this.active.values()]) if (this.deletedTenants.has(c.tenantId)) await this.sync(c);
  }

  async purgeTenants(tenantIds: string[], trx: Transaction<any>): Promise<void> {
    const ids = await this.collectors.purge(tenantIds, trx);
    await this.events.purge(tenantIds, trx);
    await this.rules.purge(tenantIds, trx);
    // Secrets are purged by the vault's own tenant purge; listeners stop here.
    for (const id of ids) {
      this.active.delete(id);
      const l = this.listeners.get(id);
      this.listeners.delete(id);
      await l?.close();
      this.tailOffsets?.remove(id);
    }
    for (const t of tenantIds) this.invalidateEngines(t);
  }

  /** Stops listening, then stores what was already received. */
  async close(): Promise<void> {
    this.started = false;
    await this.syncing;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close()));
    // Publishes what is still queued first, then stops consuming.
    await this.runner.stop();
    await this.bus?.close();
  }
}

