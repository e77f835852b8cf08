import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/**
 * The database handle every module receives. Modules add their own table types with
 * `database.db.withTables<MyTables>()`, so no central schema type couples them.
 */
export interface Database {
  readonly db: Kysely<any>;
  readonly dialect: DialectName;
  /** Human-readable location for logs (never contains a password). */
  readonly location: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… selects PostgreSQL; anything else is ignored and SQLite is used. */
  url?: string;
  /** Folder holding xdrhub.db when SQLite is used. */
  dataDir: string;
  /** SQLite file name override (tests). */
  sqliteFile?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

// int8 (COUNT(*), bigint epoch milliseconds) must come back as numbers, like SQLite's.
pg.types.setTypeParser(20, (v) => Number(v));

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (isPostgresUrl(options.url)) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // An idle client that loses its connection must not crash the process.
    pool.on('error', () => {});
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    await sql`select 1`.execute(db);
    return { db, dialect: 'postgres', location: redactUrl(options.url), close: () => db.destroy() };
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = options.sqliteFile ?? path.join(options.dataDir, 'xdrhub.db');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', location: file, close: () => db.destroy() };
}
