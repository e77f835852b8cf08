import type { ModuleMigration } from '../platform/db/migrations.ts';
import { columnTypes } from '../platform/db/migrations.ts';

/**
 * Tables of the ingestion product around the pure event library: collectors (listeners per
 * tenant), stored normalized events, Sigma rules per tenant and per-tenant event settings.
 */
export const eventsMigrations: ModuleMigration[] = [
  {
    name: '20261128_110_events',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('event_collectors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('default_source', 'text', (c) => c.notNull())
        // {"10.0.0.5": "cisco-asa", …}: per-source-IP normalizer selection.
        .addColumn('source_overrides', 'text', (c) => c.notNull())
        // TLS certificate (public; the key is in the vault).
        .addColumn('tls_cert', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('event_collectors_tenant').on('event_collectors').columns(['tenant_id', 'name']).execute();

      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('collector_id', 'text', (c) => c.notNull())
        .addColumn('source_id', 'text', (c) => c.notNull())
        .addColumn('time', t.time, (c) => c.notNull())
        .addColumn('received_at', t.time, (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('original', 'text', (c) => c.notNull())
        .addColumn('raw', 'text')
        .execute();
      // Search pages newest first by (time, id); retention deletes by reception time.
      await db.schema.createIndex('events_tenant_time').on('events').columns(['tenant_id', 'time', 'id']).execute();
      await db.schema.createIndex('events_tenant_received').on('events').columns(['tenant_id', 'received_at']).execute();

      await db.schema
        .createTable('detection_rules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('sigma', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .addUniqueConstraint('detection_rules_tenant_rule', ['tenant_id', 'rule_id'])
        .execute();

      await db.schema
        .createTable('event_settings')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('retention_days', 'integer', (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .execute();
    },
  },
  {
    // File collectors (kind 'file') follow a path on the server. Their read offsets are not in the
    // database: they belong to this host's files and spool (see pipeline/tail-offsets.ts).
    name: '20261128_111_event_file_collectors',
    async up(db) {
      await db.schema.alterTable('event_collectors').addColumn('file_path', 'text').execute();
      await db.schema.alterTable('event_collectors').addColumn('file_start_at', 'text').execute();
    },
  },
];
