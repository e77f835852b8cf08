import type { ModuleMigration } from '../platform/db/migrations.ts';
import { columnTypes } from '../platform/db/migrations.ts';
import { sql } from 'kysely';

export const tenantsMigrations: ModuleMigration[] = [
  {
    name: '20261128_010_tenants',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('parent_id', 'text')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        // Materialized path of ids, "/<root>/<child>/…/<id>/": subtree = LIKE prefix, ancestors = split.
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('depth', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .addColumn('deleted_at', t.time)
        .addColumn('purge_after', t.time)
        .execute();
      await db.schema.createIndex('tenants_path').on('tenants').column('path').execute();
      await db.schema.createIndex('tenants_parent').on('tenants').column('parent_id').execute();
      // Sibling names are unique among live tenants.
      await sql`create unique index tenants_sibling_name on tenants (parent_id, name) where deleted_at is null`.execute(db);
    },
  },
];
