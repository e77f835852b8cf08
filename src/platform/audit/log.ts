import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { Actor } from '../actor.ts';
import { newId, now } from '../ids.ts';
import { entryHash } from './chain.ts';
import { GENESIS_HASH, type AuditLogTable, type AuditTables } from './migrations.ts';

export type AuditOutcome = 'success' | 'failure';
const ACTOR_KINDS = new Set<Actor['kind']>(['user', 'token', 'system', 'playbook']);

export interface AuditEntryInput {
  actor: Actor;
  /** Dotted verb: `tenant.create`, `integration.secret.replace`. */
  action: string;
  /** null for installation-wide actions. */
  tenantId?: string | null;
  target?: { kind: string; id?: string | null };
  outcome?: AuditOutcome;
  /** Never secret values: pass them through redactSecrets first. */
  details?: Record<string, unknown>;
  ip?: string | null;
  /** Epoch ms; defaults to now. */
  at?: number;
}

export interface AuditEntry {
  seq: number;
  id: string;
  at: number;
  actor: Actor;
  tenantId: string | null;
  action: string;
  target: { kind: string; id: string | null } | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
  ip: string | null;
  hash: string;
}

export interface AuditListQuery {
  /** Only entries of these tenants (entries without a tenant are then excluded). */
  tenantIds?: readonly string[];
  /** Exact action, or a prefix ending in ".*" (`integration.*`). */
  action?: string;
  actorId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string | null;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  nextCursor: string | null;
}

export interface VerifyResult {
  ok: boolean;
  /** Entries whose hash and link were checked and found good. */
  checked: number;
  firstBadSeq?: number;
  problem?: string;
}

export interface AuditLog {
  /** Appends in the caller's transaction when one is given, so a change and its entry commit together. */
  append(entry: AuditEntryInput, trx?: Kysely<any>): Promise<AuditEntry>;
  list(query?: AuditListQuery): Promise<AuditPage>;
  verify(options?: { batchSize?: number }): Promise<VerifyResult>;
}

export class AuditInputError extends Error {
  override name = 'AuditInputError';
}

const MAX_LIMIT = 500;
/** Arbitrary constant naming the audit append lock among PostgreSQL advisory locks. */
const AUDIT_LOCK_KEY = 7_240_113_016;
const encodeCursor = (seq: number) => Buffer.from(`s${seq}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const m = /^s(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AuditInputError('cursor: not a cursor returned by this list');
  return Number(m[1]);
}

function toEntry(row: AuditLogTable): AuditEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    at: Number(row.at),
    actor: { kind: row.actor_kind as Actor['kind'], id: row.actor_id, name: row.actor_name },
    tenantId: row.tenant_id,
    action: row.action,
    target: row.target_kind == null ? null : { kind: row.target_kind, id: row.target_id },
    outcome: row.outcome as AuditOutcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
    ip: row.ip,
    hash: row.hash,
  };
}

function validate(entry: AuditEntryInput): void {
  if (!entry.actor || !ACTOR_KINDS.has(entry.actor.kind)) throw new AuditInputError('actor.kind must be user, token, system or playbook');
  if (typeof entry.action !== 'string' || !/^[a-z][\w-]*(\.[\w-]+)*$/i.test(entry.action) || entry.action.length > 120) {
    throw new AuditInputError('action must be a dotted name such as tenant.create');
  }
  if (entry.outcome !== undefined && entry.outcome !== 'success' && entry.outcome !== 'failure') {
    throw new AuditInputError('outcome must be success or failure');
  }
}

export function createAuditLog({ database }: { database: Database }): AuditLog {
  const tables = (db: Kysely<any>) => db.withTables<AuditTables>();

  async function appendIn(trx: Kysely<any>, entry: AuditEntryInput): Promise<AuditEntry> {
    const db = tables(trx);
    if (database.dialect === 'postgres') {
      // Serializes appenders across every connection and process until this transaction ends.
      await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY}::bigint)`.execute(trx);
    }
    // Writing the head first takes SQLite's write lock at once (a read first could fail to upgrade
    // under another process's writer) and, on PostgreSQL, the head's row lock as a second guard.
    const head = await db
      .updateTable('audit_head')
      .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
      .where('id', '=', 1)
      .returning(['last_seq', 'last_hash'])
      .executeTakeFirstOrThrow();
    const row = {
      seq: Number(head.last_seq),
      id: newId(),
      at: entry.at ?? now(),
      actor_kind: entry.actor.kind,
      actor_id: entry.actor.id ?? null,
      actor_name: entry.actor.name,
      tenant_id: entry.tenantId ?? null,
      action: entry.action,
      target_kind: entry.target?.kind ?? null,
      target_id: entry.target?.id ?? null,
      outcome: entry.outcome ?? 'success',
      details: JSON.stringify(entry.details ?? {}),
      ip: entry.ip ?? null,
    };
    const hash = entryHash(head.last_hash, row);
    const stored: AuditLogTable = { ...row, prev_hash: head.last_hash, hash };
    await db.insertInto('audit_log').values(stored).execute();
    await db.updateTable('audit_head').set({ last_hash: hash }).where('id', '=', 1).execute();
    return toEntry(stored);
  }

  return {
    async append(entry, trx) {
      validate(entry);
      if (trx?.isTransaction) return appendIn(trx, entry);
      return database.db.transaction().execute((t) => appendIn(t, entry));
    },

    async list(query = {}) {
      const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 50)), MAX_LIMIT);
      let q = tables(database.db).selectFrom('audit_log').selectAll();
      if (query.tenantIds) {
        if (query.tenantIds.length === 0) return { entries: [], nextCursor: null };
        q = q.where('tenant_id', 'in', [...query.tenantIds]);
      }
      if (query.action) {
        q = query.action.endsWith('.*')
          ? q.where('action', 'like', `${query.action.slice(0, -2).replace(/[%_\\]/g, '\\$&')}.%`)
          : q.where('action', '=', query.action);
      }
      if (query.actorId) q = q.where('actor_id', '=', query.actorId);
      if (query.from !== undefined) q = q.where('at', '>=', query.from);
      if (query.to !== undefined) q = q.where('at', '<', query.to);
      if (query.cursor) q = q.where('seq', '<', decodeCursor(query.cursor));
      const rows = (await q.orderBy('seq', 'desc').limit(limit + 1).execute()) as AuditLogTable[];
      const page = rows.slice(0, limit).map(toEntry);
      return { entries: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].seq) : null };
    },

    async verify({ batchSize = 1000 } = {}) {
      const db = tables(database.db);
      // The head is read first and only entries up to it are walked, so appends made while
      // verifying do not look like tampering.
      const head = await db.selectFrom('audit_head').select(['last_seq', 'last_hash']).where('id', '=', 1).executeTakeFirst();
      if (!head) return { ok: false, checked: 0, problem: 'the audit head row is missing' };
      const headSeq = Number(head.last_seq);
      let expectedSeq = 1;
      let prevHash = GENESIS_HASH;
      let checked = 0;
      for (;;) {
        const rows = (await db
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', '>=', expectedSeq)
          .where('seq', '<=', headSeq)
          .orderBy('seq')
          .limit(batchSize)
          .execute()) as AuditLogTable[];
        if (rows.length === 0) break;
        for (const row of rows) {
          const seq = Number(row.seq);
          if (seq !== expectedSeq) {
            return { ok: false, checked, firstBadSeq: expectedSeq, problem: `entry ${expectedSeq}${seq - 1 > expectedSeq ? `…${seq - 1}` : ''} is missing (deleted)` };
          }
          if (row.prev_hash !== prevHash) {
            return { ok: false, checked, firstBadSeq: seq, problem: `entry ${seq} does not link to entry ${seq - 1} (an entry was removed, replaced or inserted)` };
          }
          if (entryHash(row.prev_hash, row) !== row.hash) {
            return { ok: false, checked, firstBadSeq: seq, problem: `entry ${seq} was altered (its hash does not match its contents)` };
          }
          prevHash = row.hash;
          expectedSeq = seq + 1;
          checked++;
        }
      }
      if (expectedSeq - 1 !== headSeq) {
        return { ok: false, checked, firstBadSeq: expectedSeq, problem: `entries ${expectedSeq}…${headSeq} are missing: the log ends before its recorded head (newest entries deleted)` };
      }
      if (prevHash !== head.last_hash) {
        return { ok: false, checked, firstBadSeq: headSeq, problem: `the last entry ${headSeq} does not match the recorded head hash` };
      }
      // Rows beyond the head were not written by append (which moves the head in the same
      // transaction). Max is read before the head again: a legitimate append committed in between
      // is then covered by the newer head.
      const max = await db.selectFrom('audit_log').select((eb) => eb.fn.max<number>('seq').as('m')).executeTakeFirst();
      const now2 = await db.selectFrom('audit_head').select('last_seq').where('id', '=', 1).executeTakeFirst();
      const maxSeq = Number(max?.m ?? 0);
      if (maxSeq > Number(now2?.last_seq ?? headSeq)) {
        return { ok: false, checked, firstBadSeq: Number(now2?.last_seq ?? headSeq) + 1, problem: `entries after ${Number(now2?.last_seq ?? headSeq)} exist beyond the recorded head (inserted outside the audit log)` };
      }
      return { ok: true, checked };
    },
  };
}
