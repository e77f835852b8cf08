import type { ModuleMigration } from '../db/migrations.ts';
import { columnTypes } from '../db/migrations.ts';

export type AuditLogTable = {
  seq: number;
  id: string;
  at: number;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  tenant_id: string | null;
  action: string;
  target_kind: string | null;
  target_id: string | null;
  outcome: string;
  /** JSON text, hashed exactly as stored. */
  details: string;
  ip: string | null;
  prev_hash: string;
  hash: string;
};

/** One row (id = 1): the chain's end, so deleting the newest entries is noticed too. */
export type AuditHeadTable = {
  id: number;
  last_seq: number;
  last_hash: string;
};

export type AuditTables = {
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
};

/** prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export const auditMigrations: ModuleMigration[] = [
  {
    name: '20261128_016_audit',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('audit_log')
        // Assigned from audit_head under its lock, not by a sequence: a rolled-back append must not
        // leave a gap, because a gap is how a deleted entry shows.
        .addColumn('seq', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('at', t.time, (c) => c.notNull())
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_name', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text')
        .addColumn('target_id', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_tenant_seq').on('audit_log').columns(['tenant_id', 'seq']).execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .addColumn('last_hash', 'text', (c) => c.notNull())
        .execute();
      await db.insertInto('audit_head').values({ id: 1, last_seq: 0, last_hash: GENESIS_HASH }).execute();
    },
  },
];
