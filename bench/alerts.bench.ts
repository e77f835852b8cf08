// Alerts at scale: batch ingest through the service (SQLite and PostgreSQL), then filtered
// lists and the observable pivot over a large table. The large table is generated in SQL
// (a recursive CTE) because inserting a million alerts through the API would take the whole
// benchmark budget; XDRHUB_BENCH_ALERTS scales it (default 1,000,000).
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { SYSTEM_ACTOR } from '../src/platform/actor.ts';
import { createTestDatabase, postgresUnavailable } from '../test/support/db.ts';
import type { DialectName } from '../src/platform/db/index.ts';
import { median, percentile, type BenchRow } from './lib.ts';
import type { AlertInput } from '../src/alerts/types.ts';

const TOTAL = Number(process.env.XDRHUB_BENCH_ALERTS ?? 1_000_000);

function alertInput(i: number): AlertInput {
  return {
    title: `Bench alert ${i}`,
    severity: (['low', 'medium', 'high', 'critical'] as const)[i % 4],
    source: 'bench',
    sourceId: `b-${i}`,
    rules: [`rule-${i % 20}`],
    observables: [
      { type: 'ip', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
      { type: 'domain', value: `host${i % 1000}.example.com` },
      { type: 'md5', value: (i.toString(16).padStart(8, '0')).repeat(4) },
      { type: 'userName', value: `user${i % 500}` },
      { type: 'url', value: `https://site${i % 300}.example.org/p/${i}` },
    ],
  };
}

async function withApp<T>(dialect: DialectName, fn: (app: App, tenantId: string) => Promise<T>): Promise<T> {
  const db = await createTestDatabase(dialect);
  const env = { XDRHUB_DATA_DIR: db.dataDir, XDRHUB_MASTER_KEY: randomBytes(32).toString('base64'), XDRHUB_ADMIN_PASSWORD: 'Bench-password-123', ...(dialect === 'postgres' ? { XDRHUB_DATABASE_URL: db.url } : {}) };
  const app = await buildApp(loadConfig(env), { logger: createLogger('silent'), database: await db.open(), env });
  try {
    const boot = await app.bootstrap();
    const tenant = await app.services.tenants.create({ parentId: boot.rootId, name: 'Bench' }, SYSTEM_ACTOR);
    return await fn(app, tenant.id);
  } finally {
    await app.close();
    await db.drop();
  }
}

async function ingest(app: App, tenantId: string): Promise<number> {
  const batches = 20;
  const size = 250;
  const start = performance.now();
  for (let b = 0; b < batches; b++) {
    await app.services.alerts.createAlerts(tenantId, Array.from({ length: size }, (_, i) => alertInput(b * size + i)), SYSTEM_ACTOR);
  }
  return (batches * size) / ((performance.now() - start) / 1000);
}

/** Bulk rows in SQL: alerts plus 5 observables each, spread over 90 days. */
async function generate(app: App, tenantId: string, total: number): Promise<void> {
  const db = app.services.database.db;
  const t0 = Date.now() - 90 * 86_400_000;
  const chunk = 100_000;
  for (let from = 10_000; from < total; from += chunk) {
    const to = Math.min(total, from + chunk);
    await sql`
      with recursive n(i) as (select ${from} union all select i + 1 from n where i + 1 < ${to})
      insert into alerts (id, tenant_id, seq, title, description, severity, severity_rank, status, resolution, assignee_id, external_ref, additional_data,
        created_at, updated_at, status_changed_at, source, source_id, rules, tactics, techniques, first_event_at, last_event_at, events, incident_id)
      select 'a-' || i, ${tenantId}, i, 'Generated alert ' || i, null,
        case i % 4 when 0 then 'low' when 1 then 'medium' when 2 then 'high' else 'critical' end, (i % 4) + 1,
        case i % 3 when 0 then 'new' when 1 then 'inProgress' else 'closed' end, null, null, null, '{}',
        ${t0} + i * 7, ${t0} + i * 7, ${t0} + i * 7, 'gen', 'g-' || i, '[]', '[]', '[]', null, null, '[]', null
      from n`.execute(db);
    await sql`
      with recursive n(i) as (select ${from} union all select i + 1 from n where i + 1 < ${to})
      insert into observables (id, tenant_id, alert_id, type, value, enrichment, enrichment_at, status_update, status_update_at)
      select 'o-' || i || '-' || k.k, ${tenantId}, 'a-' || i, k.t,
        case k.k when 0 then '172.16.' || ((i / 256) % 256) || '.' || (i % 256) when 1 then 'd' || (i % 5000) || '.example.net' when 2 then 'u' || (i % 2000)
          when 3 then 'https://x' || (i % 700) || '.example.org/' || i else 'proc' || (i % 100) || '.exe' end,
        null, null, null, null
      from n cross join (select 0 as k, 'ip' as t union all select 1, 'domain' union all select 2, 'userName' union all select 3, 'url' union all select 4, 'processName') k`.execute(db);
  }
  if (app.services.database.dialect === 'sqlite') await sql`analyze`.execute(db);
  else await sql`analyze`.execute(db);
}

async function timeIt(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn(i);
    xs.push(performance.now() - s);
  }
  return xs;
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const suite = 'alerts';
  rows.push({ suite, name: 'batch ingest, SQLite (250 per batch, 5 observables each)', value: await withApp('sqlite', ingest), unit: 'alerts/s' });
  const pgReason = await postgresUnavailable();
  if (pgReason) rows.push({ suite, name: 'batch ingest, PostgreSQL', value: NaN, unit: 'alerts/s', note: 'skipped: PostgreSQL unreachable' });
  else rows.push({ suite, name: 'batch ingest, PostgreSQL (250 per batch, 5 observables each)', value: await withApp('postgres', ingest), unit: 'alerts/s' });

  await withApp('sqlite', async (app, tenantId) => {
    await ingest(app, tenantId); // 5,000 alerts through the service, the rest generated
    const genStart = performance.now();
    await generate(app, tenantId, TOTAL);
    const genSeconds = (performance.now() - genStart) / 1000;
    const list = (filter: Partial<Parameters<App['services']['alerts']['list']>[0]>) => app.services.alerts.list({ tenantIds: [tenantId], limit: 50, ...filter });
    await list({});
    const newest = await timeIt(100, () => list({}));
    const bySeverity = await timeIt(100, (i) => list({ severity: [(['high', 'critical'] as const)[i % 2]], status: ['new'] }));
    const bySeveritySort = await timeIt(100, () => list({ sort: '-severity' }));
    const page3 = await timeIt(50, async () => {
      let cursor: string | undefined;
      for (let p = 0; p < 3; p++) cursor = (await list({ status: ['inProgress'], cursor })).nextCursor ?? undefined;
    });
    const pivot = await timeIt(100, (i) => list({ observable: `172.16.${i % 200}.${(i * 7) % 256}`, observableType: 'ip' }));
    const note = `${TOTAL.toLocaleString('en-US')} alerts (generated in ${genSeconds.toFixed(0)} s)`;
    rows.push(
      { suite, name: 'list newest 50, p50', value: median(newest), unit: 'ms', note },
      { suite, name: 'list newest 50, p99', value: percentile(newest, 99), unit: 'ms', note: 'goal p99 < 50 ms' },
      { suite, name: 'list severity+status filter, p50', value: median(bySeverity), unit: 'ms' },
      { suite, name: 'list severity+status filter, p99', value: percentile(bySeverity, 99), unit: 'ms' },
      { suite, name: 'list sorted by severity, p99', value: percentile(bySeveritySort, 99), unit: 'ms' },
      { suite, name: 'status filter, 3 pages by cursor, p99', value: percentile(page3, 99), unit: 'ms' },
      { suite, name: 'observable pivot "alerts with this IP", p50', value: median(pivot), unit: 'ms' },
      { suite, name: 'observable pivot "alerts with this IP", p99', value: percentile(pivot, 99), unit: 'ms' },
    );
  });
  return rows;
}
