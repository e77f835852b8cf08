import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type DialectName } from '../../src/platform/db/index.ts';

/**
 * Storage tests run on both dialects. SQLite always; PostgreSQL when reachable at
 * XDRHUB_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test). Each test database is
 * created fresh and dropped afterwards. With XDRHUB_TEST_PG=required (set by .ci/run) an
 * unreachable server fails the run instead of skipping.
 */
export const PG_ADMIN_URL = process.env.XDRHUB_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  dialect: DialectName;
  /** URL of the fresh database (postgres) or file path (sqlite), for child processes. */
  url: string;
  dataDir: string;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

let pgReachable: Promise<string | null> | undefined;

/** null when PostgreSQL answers; otherwise the reason it was not reachable. */
export function postgresUnavailable(): Promise<string | null> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (err) {
      if (process.env.XDRHUB_TEST_PG === 'required') {
        throw new Error(`PostgreSQL is required (XDRHUB_TEST_PG=required) but ${PG_ADMIN_URL} is unreachable: ${(err as Error).message}`);
      }
      return `PostgreSQL not reachable at ${PG_ADMIN_URL} (${(err as Error).message}): PostgreSQL runs skipped`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgReachable;
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dataDir = tempDir('xdrhub-test-');
    const file = path.join(dataDir, 'xdrhub.db');
    return {
      dialect,
      url: file,
      dataDir,
      open: () => openDatabase({ dataDir, sqliteFile: file }),
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `xdrhub_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const dataDir = tempDir('xdrhub-test-pg-');
  return {
    dialect,
    url: url.toString(),
    dataDir,
    open: () => openDatabase({ url: url.toString(), dataDir, poolSize: 5 }),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Declares the same suite once per dialect:
 *   forEachDialect('jobs', (ctx) => { test('…', async () => { const db = await ctx.open(); … }) })
 * The PostgreSQL suite is skipped with a visible reason when no server is reachable.
 */
export async function dialectsUnderTest(): Promise<{ dialect: DialectName; skip: string | false }[]> {
  const reason = await postgresUnavailable();
  return [
    { dialect: 'sqlite', skip: false },
    { dialect: 'postgres', skip: reason ?? false },
  ];
}
