import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Database, DialectName } from './index.ts';

/**
 * A migration owned by a module. Names sort globally (Kysely runs them in name order),
 * so each starts with a date and a sequence: `20261128_010_tenants`.
 */
export interface ModuleMigration {
  name: string;
  up(db: Kysely<any>, dialect: DialectName): Promise<void>;
}

/** Column types that differ between the two dialects. Everything else is portable SQL. */
export function columnTypes(dialect: DialectName) {
  return {
    /** Auto-increment primary key. */
    serial: dialect === 'postgres' ? ('bigserial' as const) : ('integer' as const),
    /** Epoch milliseconds. */
    time: 'bigint' as const,
    /** Booleans are stored as 0/1 integers on both dialects so bound values stay plain numbers. */
    bool: 'integer' as const,
  };
}

export async function migrate(database: Database, migrations: ModuleMigration[]): Promise<string[]> {
  const names = new Set<string>();
  for (const m of migrations) {
    if (names.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    names.add(m.name);
  }
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const m of migrations) out[m.name] = { up: (db) => m.up(db, database.dialect) };
      return out;
    },
  };
  const migrator = new Migrator({ db: database.db, provider, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
