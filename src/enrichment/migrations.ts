import type { ModuleMigration } from '../platform/db/migrations.ts';
import { columnTypes } from '../platform/db/migrations.ts';

/**
 * The enrichment module's own tables:
 *   enrichment_cache        one row per (tenant, service, credential, type, value): the last
 *                           Enrichment and Status update results and their times
 *   enrichment_pending      "someone is fetching this key": coalesces identical lookups across
 *                           worker processes (the key is the primary key, so one insert wins)
 *   enrichment_usage        requests per credential per UTC day
 *   enrichment_credentials  per credential: the last LicenseInfo and "quota exhausted until"
 * Values can be 2,000+ character URLs, so rows are keyed by a hash of the full key.
 */
export const enrichmentMigrations: ModuleMigration[] = [
  {
    name: '20261128_060_enrichment',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('enrichment_cache')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('credential', 'text', (c) => c.notNull())
        .addColumn('obs_type', 'text', (c) => c.notNull())
        .addColumn('obs_value', 'text', (c) => c.notNull())
        // JSON of the Enrichment result; null when only a Status update was fetched.
        .addColumn('result', 'text')
        .addColumn('fetched_at', t.time)
        .addColumn('status_update', 'text')
        .addColumn('status_at', t.time)
        .execute();
      await db.schema.createIndex('enrichment_cache_tenant').on('enrichment_cache').column('tenant_id').execute();
      await db.schema
        .createTable('enrichment_pending')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('started_at', t.time, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('enrichment_usage')
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('credential', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('requests', 'integer', (c) => c.notNull())
        .addColumn('status_requests', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('enrichment_usage_pk', ['service', 'credential', 'day'])
        .execute();
      await db.schema
        .createTable('enrichment_credentials')
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('credential', 'text', (c) => c.notNull())
        .addColumn('license', 'text')
        .addColumn('license_at', t.time)
        .addColumn('exhausted_until', t.time)
        .addColumn('exhausted_reason', 'text')
        .addPrimaryKeyConstraint('enrichment_credentials_pk', ['service', 'credential'])
        .execute();
    },
  },
];
