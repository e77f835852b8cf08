// Stored normalized events: batched inserts, keyset search by time and field, retention.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DialectName } from '../../platform/db/index.ts';
import { invalidField } from '../../platform/errors.ts';
import { now } from '../../platform/ids.ts';
import { SCHEMA } from '../normalize/schema.ts';
import type { EventRow, EventsTables } from './tables.ts';

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;
/** Rows per INSERT: well under SQLite's 32,766 bound parameters with 9 columns. */
const INSERT_CHUNK = 500;

export interface StoredEvent {
  id: string;
  collectorId: string;
  sourceId: string;
  time: number;
  receivedAt: number;
  fields: Record<string, unknown>;
  original: Record<string, unknown>;
  raw: string | null;
}

export interface EventSearch {
  tenantId: string;
  from?: number;
  to?: number;
  /** Normalized field name → exact value (compared as text). */
  fields?: Array<{ name: string; value: string }>;
  limit: number;
  cursor?: string;
}

const toStored = (r: EventRow): StoredEvent => ({
  id: r.id,
  collectorId: r.collector_id,
  sourceId: r.source_id,
  time: Number(r.time),
  receivedAt: Number(r.received_at),
  fields: JSON.parse(r.fields),
  original: JSON.parse(r.original),
  raw: r.raw,
});

const encodeCursor = (time: number, id: string) => Buffer.from(`${time}:${id}`).toString('base64url');
function decodeCursor(cursor: string): { time: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const at = text.indexOf(':');
  const time = Number(text.slice(0, at));
  if (at < 1 || !Number.isFinite(time)) throw invalidField('cursor', 'is not a cursor this API returned');
  return { time, id: text.slice(at + 1) };
}

export class EventStore {
  private readonly db: Kysely<EventsTables>;
  constructor(
    db: Kysely<any>,
    private readonly dialect: DialectName,
  ) {
    this.db = db as Kysely<EventsTables>;
  }

  async insert(rows: EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      // Insert-or-ignore by id: an event redelivered by the bus (its id set at publication) is stored once.
      for (let i = 0; i < rows.length; i += INSERT_CHUNK)
        await trx
          .insertInto('events')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
    });
  }

  /** Newest first; filters by event time and by equality of normalized fields. */
  async search(q: EventSearch): Promise<{ items: StoredEvent[]; nextCursor: string | null }> {
    let query = this.db.selectFrom('events').selectAll().where('tenant_id', '=', q.tenantId);
    if (q.from !== undefined) query = query.where('time', '>=', q.from);
    if (q.to !== undefined) query = query.where('time', '<', q.to);
    for (const f of q.fields ?? []) {
      // Only schema names reach the JSON path, and the path is a bound parameter anyway.
      if (!Object.hasOwn(SCHEMA, f.name)) throw invalidField('field', `"${f.name}" is not a normalized field name`);
      const path = `$.${f.name}`;
      const value = this.dialect === 'postgres' ? sql<string>`(fields::jsonb ->> ${f.name})` : sql<string>`cast(json_extract(fields, ${path}) as text)`;
      query = query.where(value, '=', f.value);
    }
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      query = query.where((eb) => eb.or([eb('time', '<', c.time), eb.and([eb('time', '=', c.time), eb('id', '<', c.id)])]));
    }
    const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
    const more = rows.length > q.limit;
    const items = rows.slice(0, q.limit).map(toStored);
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? encodeCursor(last.time, last.id) : null };
  }

  async retentionDays(tenantId: string, fallback: number): Promise<number> {
    const row = await this.db.selectFrom('event_settings').select('retention_days').where('tenant_id', '=', tenantId).executeTakeFirst();
    return row ? Number(row.retention_days) : fallback;
  }

  async setRetentionDays(tenantId: string, days: number): Promise<void> {
    const t = now();
    await this.db
      .insertInto('event_settings')
      .values({ tenant_id: tenantId, retention_days: days, updated_at: t })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ retention_days: days, updated_at: t }))
      .execute();
  }

  /**
   * Deletes events received longer ago than each tenant's retention (its own setting, else the
   * default). Reception time, not event time: a device with a wrong clock must not make fresh
   * events vanish at once. Returns how many rows were deleted.
   */
  async enforceRetention(defaultDays: number, at = now()): Promise<number> {
    const custom = await this.db.selectFrom('event_settings').select(['tenant_id', 'retention_days']).execute();
    let deleted = 0;
    for (const s of custom) {
      const res = await this.db.deleteFrom('events').where('tenant_id', '=', s.tenant_id).where('received_at', '<', at - Number(s.retention_days) * DAY_MS).executeTakeFirst();
      deleted += Number(res.numDeletedRows);
    }
    let rest = this.db.deleteFrom('events').where('received_at', '<', at - defaultDays * DAY_MS);
    if (custom.length) rest = rest.where('tenant_id', 'not in', custom.map((s) => s.tenant_id));
    deleted += Number((await rest.executeTakeFirst()).numDeletedRows);
    return deleted;
  }

  async purge(tenantIds: string[], trx: Transaction<any>): Promise<void> {
    const t = trx as unknown as Transaction<EventsTables>;
    await t.deleteFrom('events').where('tenant_id', 'in', tenantIds).execute();
    await t.deleteFrom('event_settings').where('tenant_id', 'in', tenantIds).execute();
  }
}
