import { columnTypes, type ModuleMigration } from '../platform/db/migrations.ts';

export const ticketingMigrations: ModuleMigration[] = [
  {
    name: '20261128_100_ticketing',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      // An alert or incident and the ticket opened for it: notes go out, statuses come back.
      await db.schema
        .createTable('ticket_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('issue_id', 'integer', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('item_kind', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('last_item_status', 'text', (c) => c.notNull())
        .addColumn('last_ticket_status', 'text')
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addUniqueConstraint('ticket_links_unique', ['instance_id', 'issue_id', 'item_id'])
        .execute();
      await db.schema.createIndex('ticket_links_item').on('ticket_links').columns(['tenant_id', 'item_id']).execute();
    },
  },
];
