import { sql, type CreateTableBuilder } from 'kysely';
import type { ModuleMigration } from '../platform/db/migrations.ts';
import { columnTypes } from '../platform/db/migrations.ts';

export const alertsMigrations: ModuleMigration[] = [
  {
    name: '20261128_050_alerts',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      // Per-tenant counters for the short ids people read aloud (ALR-42, INC-7).
      await db.schema
        .createTable('alert_counters')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('next', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('alert_counters_pk', ['tenant_id', 'kind'])
        .execute();
      const common = (b: CreateTableBuilder<any, any>): CreateTableBuilder<any, any> =>
        b
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('severity', 'text', (c) => c.notNull())
          .addColumn('severity_rank', 'integer', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('resolution', 'text')
          .addColumn('assignee_id', 'text')
          .addColumn('external_ref', 'text')
          .addColumn('additional_data', 'text', (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('updated_at', t.time, (c) => c.notNull())
          .addColumn('status_changed_at', t.time, (c) => c.notNull());
      await common(db.schema.createTable('alerts'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('source_id', 'text')
        .addColumn('rules', 'text', (c) => c.notNull())
        .addColumn('tactics', 'text', (c) => c.notNull())
        .addColumn('techniques', 'text', (c) => c.notNull())
        .addColumn('first_event_at', t.time)
        .addColumn('last_event_at', t.time)
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('incident_id', 'text')
        .execute();
      await sql`create unique index alerts_source_id on alerts (tenant_id, source, source_id) where source_id is not null`.execute(db);
      await db.schema.createIndex('alerts_tenant_created').on('alerts').columns(['tenant_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('alerts_tenant_status').on('alerts').columns(['tenant_id', 'status', 'created_at', 'id']).execute();
      // Keyset pages order by (sort column, id): the index ends with id so no sort step is needed.
      await db.schema.createIndex('alerts_tenant_severity').on('alerts').columns(['tenant_id', 'severity_rank', 'id']).execute();
      await db.schema.createIndex('alerts_tenant_updated').on('alerts').columns(['tenant_id', 'updated_at', 'id']).execute();
      await db.schema.createIndex('alerts_incident').on('alerts').column('incident_id').execute();
      await db.schema.createTable('alert_rules').addColumn('alert_id', 'text', (c) => c.notNull()).addColumn('tenant_id', 'text', (c) => c.notNull()).addColumn('rule', 'text', (c) => c.notNull()).execute();
      await db.schema.createIndex('alert_rules_lookup').on('alert_rules').columns(['tenant_id', 'rule']).execute();
      await db.schema.createIndex('alert_rules_alert').on('alert_rules').column('alert_id').execute();

      await common(db.schema.createTable('incidents'))
        .addColumn('priority', 'text', (c) => c.notNull())
        .addColumn('creation_type', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('incidents_tenant_created').on('incidents').columns(['tenant_id', 'created_at', 'id']).execute();

      await db.schema
        .createTable('observables')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('enrichment', 'text')
        .addColumn('enrichment_at', t.time)
        .addColumn('status_update', 'text')
        .addColumn('status_update_at', t.time)
        .addUniqueConstraint('observables_per_alert', ['alert_id', 'type', 'value'])
        .execute();
      // The pivot "every alert with this observable".
      await db.schema.createIndex('observables_pivot').on('observables').columns(['tenant_id', 'value', 'type']).execute();

      await db.schema
        .createTable('assets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('identity', 'text', (c) => c.notNull())
        .addColumn('role', 'text')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addUniqueConstraint('assets_per_alert', ['alert_id', 'kind', 'identity'])
        .execute();
      await db.schema.createIndex('assets_lookup').on('assets').columns(['tenant_id', 'kind', 'identity']).execute();

      await db.schema
        .createTable('comments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('item_kind', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('author_id', 'text')
        .addColumn('author_name', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('comments_item').on('comments').columns(['item_kind', 'item_id', 'created_at']).execute();
    },
  },
];
