import { sql } from 'kysely';
import type { Database } from '../../src/platform/db/index.ts';

/** Every row of every table as text, per table: what a database dump would show. */
export async function dumpTables(database: Database): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const tables =
    database.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(database.db)).rows.map((r) => r.name)
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(database.db)).rows.map((r) => r.name);
  for (const table of tables) {
    const rows = (await sql`select * from ${sql.table(table)}`.execute(database.db)).rows;
    out.set(table, rows.map((r) => JSON.stringify(r)));
  }
  return out;
}

