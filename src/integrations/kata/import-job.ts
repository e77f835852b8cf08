import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/index.ts';
import { columnTypes, type ModuleMigration } from '../../platform/db/migrations.ts';
import type { JobQueue } from '../../platform/jobs/index.ts';
import type { Logger } from '../../platform/log/index.ts';
import { OutboundError } from '../../platform/outbound/index.ts';
import type { Actor } from '../../platform/actor.ts';
import type { AlertsService } from '../../alerts/alerts.ts';
import type { TenantsService } from '../../tenants/tenants.ts';
import type { IntegrationsService } from '../framework/instances.ts';
import type { KataContext } from './client.ts';
import { importDetects } from './detects.ts';
import type { KataConfig } from './settings.ts';

/**
 * The KATA alert import (SPEC.md §5): a tick job looks at the enabled kata connections every
 * `tickMs` and queues one import per connection and interval slot (the slot in the idempotency
 * key makes it at most one per interval, across workers). An import polls the detects API from
 * the connection's stored cursor, creates the alerts (idempotent by source + sourceId), and only
 * then stores the new cursor: a crash in between re-reads a page whose alerts already exist,
 * never skips one. The cursor lives in its own table rather than in the connection's config, so
 * polling neither writes an audit entry every interval nor changes the connection's updatedAt.
 */
export const KATA_IMPORT_TICK_JOB = 'kata.import.tick';
export const KATA_IMPORT_JOB = 'kata.import';

interface CursorsTable {
  instance_id: string;
  tenant_id: string;
  cursor: string | null;
  updated_at: number;
}
type Db = Kysely<{ kata_cursors: CursorsTable }>;

export const kataMigrations: ModuleMigration[] = [
  {
    name: '20261128_090_kata_cursors',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('kata_cursors')
        .addColumn('instance_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('cursor', 'text')
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .execute();
    },
  },
];

const ACTOR: Actor = { kind: 'system', id: null, name: 'KATA alert import' };
/** Pages per import run: a backlog drains over a few runs instead of holding one job for long. */
const MAX_PAGES = 20;

export interface KataImportDeps {
  database: Database;
  jobs: JobQueue;
  integrations: IntegrationsService;
  alerts: AlertsService;
  tenants: TenantsService;
  logger: Logger;
  /** How often connections are looked at. Default 30 s (the shortest import interval). */
  tickMs?: number;
}

export interface ImportRunResult {
  created: number;
  received: number;
  pages: number;
  skipped?: string;
}

export class KataImport {
  private readonly db: Db;
  private readonly tickMs: number;

  constructor(private readonly deps: KataImportDeps) {
    this.db = deps.database.db.withTables<{ kata_cursors: CursorsTable }>() as unknown as Db;
    this.tickMs = deps.tickMs ?? 30_000;
    deps.jobs.register(KATA_IMPORT_TICK_JOB, () => this.tick());
    deps.jobs.register(KATA_IMPORT_JOB, (ctx) => {
      const { tenantId, instanceId } = ctx.payload as { tenantId: string; instanceId: string };
      return this.run(tenantId, instanceId, ctx.signal);
    }, { concurrency: 4, timeoutMs: 10 * 60_000 });
    deps.tenants.addLifecycle({ onPurge: async (ids, trx) => void (await (trx as unknown as Db).deleteFrom('kata_cursors').where('tenant_id', 'in', ids).execute()) });
  }

  /** Queues the first tick (idempotent per slot, so every worker may call it). */
  async start(): Promise<void> {
    await this.enqueueTick(Date.now());
  }

  private async enqueueTick(at: number): Promise<void> {
    const slot = Math.floor(at / this.tickMs);
    await this.deps.jobs.enqueue(KATA_IMPORT_TICK_JOB, {}, { runAt: slot * this.tickMs, idempotencyKey: `${KATA_IMPORT_TICK_JOB}:${slot}`, maxAttempts: 3 });
  }

  /** Queues the imports that are due, then the next tick. */
  async tick(): Promise<{ queued: number }> {
    const now = Date.now();
    let queued = 0;
    try {
      for (const row of await this.deps.integrations.enabledOfTypeEverywhere('kata')) {
        const config = row.config as Partial<KataConfig>;
        if (!config.import?.enabled) continue;
        const intervalMs = (config.import.intervalSeconds ?? 300) * 1000;
        const slot = Math.floor(now / intervalMs);
        const r = await this.deps.jobs.enqueue(KATA_IMPORT_JOB, { tenantId: row.tenantId, instanceId: row.id }, { idempotencyKey: `${KATA_IMPORT_JOB}:${row.id}:${intervalMs}:${slot}`, tenantId: row.tenantId, maxAttempts: 3 });
        if (r.created) queued++;
      }
    } finally {
      await this.enqueueTick(now + this.tickMs);
    }
    return { queued };
  }

  /** One import of one connection: pages from the stored cursor until KATA has no more. */
  async run(tenantId: string, instanceId: string, signal?: AbortSignal): Promise<ImportRunResult> {
    const result: ImportRunResult = { created: 0, received: 0, pages: 0 };
    let cursor = await this.cursor(instanceId);
    try {
      await this.deps.integrations.withConnector(
        tenantId,
        instanceId,
        async (ctx) => {
          const kctx = ctx as unknown as KataContext;
          if (ctx.instance.type !== 'kata') throw new Error(`${instanceId} is not a kata connection`);
          const limit = kctx.config.import?.limit ?? 1000;
          for (let page = 0; page < MAX_PAGES; page++) {
            const got = await importDetects(kctx, cursor);
            result.pages++;
            result.received += got.received;
            if (got.alerts.length) {
              const created = await this.deps.alerts.createAlerts(tenantId, got.alerts, ACTOR);
              result.created += created.filter((c) => c.created).length;
            }
            if (got.nextCursor !== cursor) {
              cursor = got.nextCursor;
              await this.saveCursor(tenantId, instanceId, cursor);
            }
            if (got.received < limit) break;
          }
        },
        signal,
      );
    } catch (err) {
      // A disabled or deleted connection simply has nothing to import; anything else is retried.
      if ((err as { code?: string }).code === 'integration_disabled' || (err as { code?: string }).code === 'not_found') return { ...result, skipped: (err as Error).message };
      // Not approved (yet) or rejected: retrying cannot help before an administrator acts.
      if (err instanceof OutboundError && (err.kind === 'auth' || err.kind === 'forbidden')) {
        this.deps.logger.warn({ tenantId, instanceId, reason: err.message }, 'KATA alert import skipped');
        return { ...result, skipped: err.message };
      }
      throw err;
    }
    if (result.created) this.deps.logger.info({ tenantId, instanceId, ...result }, 'KATA alerts imported');
    return result;
  }

  async cursor(instanceId: string): Promise<string | null> {
    const row = await this.db.selectFrom('kata_cursors').select('cursor').where('instance_id', '=', instanceId).executeTakeFirst();
    return row?.cursor ?? null;
  }

  private async saveCursor(tenantId: string, instanceId: string, cursor: string | null): Promise<void> {
    const updated = await this.db.updateTable('kata_cursors').set({ cursor, updated_at: Date.now() }).where('instance_id', '=', instanceId).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) await this.db.insertInto('kata_cursors').values({ instance_id: instanceId, tenant_id: tenantId, cursor, updated_at: Date.now() }).execute();
  }
}
