import type { ModuleMigration } from '../platform/db/migrations.ts';
import { columnTypes } from '../platform/db/migrations.ts';

export const responseMigrations: ModuleMigration[] = [
  {
    name: '20261128_070_response',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('response_actions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('launch_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('instance_name', 'text', (c) => c.notNull())
        .addColumn('connector_type', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text', (c) => c.notNull())
        .addColumn('target_value', 'text', (c) => c.notNull())
        .addColumn('target_attributes', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text')
        .addColumn('incident_id', 'text')
        .addColumn('launcher_kind', 'text', (c) => c.notNull())
        .addColumn('launcher_id', 'text')
        .addColumn('launcher_name', 'text', (c) => c.notNull())
        .addColumn('approval_required', t.bool, (c) => c.notNull())
        .addColumn('approval_deadline', t.time)
        .addColumn('decided_by_id', 'text')
        .addColumn('decided_by_name', 'text')
        .addColumn('decided_at', t.time)
        .addColumn('decision_comment', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('undo_of', 'text')
        .addColumn('undone_by', 'text')
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .addColumn('started_at', t.time)
        .addColumn('finished_at', t.time)
        .execute();
      await db.schema.createIndex('response_actions_tenant_created').on('response_actions').columns(['tenant_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('response_actions_status').on('response_actions').columns(['tenant_id', 'status']).execute();
      await db.schema.createIndex('response_actions_alert').on('response_actions').column('alert_id').execute();
      await db.schema.createIndex('response_actions_incident').on('response_actions').column('incident_id').execute();
      await db.schema.createIndex('response_actions_launch').on('response_actions').columns(['tenant_id', 'launch_id']).execute();
    },
  },
];
