import type { ModuleMigration } from '../db/migrations.ts';
import { columnTypes } from '../db/migrations.ts';

/** Row shape of the vault's one table. */
export type SecretsTable = {
  id: string;
  tenant_id: string;
  owner_kind: string;
  owner_id: string;
  field: string;
  /** Duplicates the key id inside the ciphertext so rotation and retirement can query it. */
  key_id: string;
  ciphertext: string;
  created_at: number;
  /** When the current value was set (a copy to a child tenant keeps the parent's time). */
  updated_at: number;
  /** When a connector last reported a successful call with the current value; null: not since it was set. */
  used_at: number | null;
};

export type VaultTables = {
  secrets: SecretsTable;
};

export const vaultMigrations: ModuleMigration[] = [
  {
    name: '20261128_015_secrets',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('secrets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('field', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('ciphertext', 'text', (c) => c.notNull())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .addUniqueConstraint('secrets_owner_field', ['owner_kind', 'owner_id', 'field'])
        .execute();
      await db.schema.createIndex('secrets_tenant').on('secrets').column('tenant_id').execute();
      // Rotation looks for rows not under the current key.
      await db.schema.createIndex('secrets_key').on('secrets').column('key_id').execute();
    },
  },
  {
    // Last successful use of a credential (KASAP revokes tokens unused for 6 months). Nullable:
    // rows from before this migration, and values never used since they were set, are unknown.
    name: '20261128_135_secrets_used_at',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema.alterTable('secrets').addColumn('used_at', t.time).execute();
    },
  },
];
