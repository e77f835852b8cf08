import { sql } from 'kysely';
import type { ModuleMigration } from '../../platform/db/migrations.ts';
import { columnTypes } from '../../platform/db/migrations.ts';

export const integrationsMigrations: ModuleMigration[] = [
  {
    name: '20261128_040_integrations',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('integration_instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('enabled', t.bool, (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        // Where a copied instance came from (parent tenant and instance at copy time).
        .addColumn('copied_from_tenant_id', 'text')
        .addColumn('copied_from_instance_id', 'text')
        .addColumn('last_check', 'text')
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('integration_instances_tenant').on('integration_instances').columns(['tenant_id', 'type']).execute();
      await sql`create unique index integration_instances_name on integration_instances (tenant_id, name)`.execute(db);
    },
  },
];
