import { sql } from 'kysely';
import type { ModuleMigration } from '../platform/db/migrations.ts';
import { columnTypes } from '../platform/db/migrations.ts';

export const playbooksMigrations: ModuleMigration[] = [
  {
    name: '20261128_080_playbooks',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('playbooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('enabled', t.bool, (c) => c.notNull())
        .addColumn('offer_to_children', t.bool, (c) => c.notNull())
        // The whole validated definition; name/scope/mode/enabled are columns for filtering.
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('template_id', 'text')
        .addColumn('last_trigger_error', 'text')
        .addColumn('last_trigger_error_at', t.time)
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .execute();
      await sql`create unique index playbooks_name on playbooks (tenant_id, name)`.execute(db);
      await db.schema
        .createTable('playbook_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('playbook_id', 'text', (c) => c.notNull())
        .addColumn('playbook_name', 'text', (c) => c.notNull())
        .addColumn('playbook_version', 'integer', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        // Auto and training runs happen once per (playbook, item): this key makes that a constraint.
        .addColumn('once_key', 'text')
        .addColumn('launcher_kind', 'text', (c) => c.notNull())
        .addColumn('launcher_id', 'text')
        .addColumn('launcher_name', 'text', (c) => c.notNull())
        .addColumn('input', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('approval_deadline', t.time)
        .addColumn('decided_by_name', 'text')
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('started_at', t.time)
        .addColumn('deadline', t.time)
        .addColumn('finished_at', t.time)
        .execute();
      await sql`create unique index playbook_runs_once on playbook_runs (once_key) where once_key is not null`.execute(db);
      await db.schema.createIndex('playbook_runs_tenant').on('playbook_runs').columns(['tenant_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('playbook_runs_item').on('playbook_runs').column('item_id').execute();
      await db.schema
        .createTable('playbook_run_steps')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('input', 'text')
        .addColumn('output', 'text')
        .addColumn('error', 'text')
        .addColumn('started_at', t.time, (c) => c.notNull())
        .addColumn('finished_at', t.time)
        .addPrimaryKeyConstraint('playbook_run_steps_pk', ['run_id', 'path'])
        .execute();
    },
  },
  {
    // Manual approval of updateData and enrichment steps: the waiting state lives on the step's
    // row, so a restarted worker resumes waiting and an approver's decision survives restarts.
    name: '20261128_140_playbook_step_approval',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema.alterTable('playbook_run_steps').addColumn('approval_deadline', t.time).execute();
      await db.schema.alterTable('playbook_run_steps').addColumn('approval_decision', 'text').execute();
      await db.schema.alterTable('playbook_run_steps').addColumn('decided_by_name', 'text').execute();
      await db.schema.alterTable('playbook_run_steps').addColumn('decided_at', t.time).execute();
    },
  },
];
