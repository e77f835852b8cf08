import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../platform/db/index.ts';

/** Row access for the enrichment tables (migrations.ts); no other module reads them. */
interface CacheTable {
  key: string;
  tenant_id: string;
  service: string;
  credential: string;
  obs_type: string;
  obs_value: string;
  result: string | null;
  fetched_at: number | null;
  status_update: string | null;
  status_at: number | null;
}
interface PendingTable {
  key: string;
  owner: string;
  started_at: number;
}
interface UsageTable {
  service: string;
  credential: string;
  day: string;
  requests: number;
  status_requests: number;
}
interface CredentialsTable {
  service: string;
  credential: string;
  license: string | null;
  license_at: number | null;
  exhausted_until: number | null;
  exhausted_reason: string | null;
}
type Tables = { enrichment_cache: CacheTable; enrichment_pending: PendingTable; enrichment_usage: UsageTable; enrichment_credentials: CredentialsTable };
type Db = Kysely<Tables>;

export type CacheRow = CacheTable;
export type CredentialRow = CredentialsTable;
export type CacheIdentity = Pick<CacheTable, 'key' | 'tenant_id' | 'service' | 'credential' | 'obs_type' | 'obs_value'>;

const CHUNK = 500;

export class EnrichmentStore {
  private readonly db: Db;

  constructor(database: Database) {
    this.db = database.db.withTables<Tables>() as unknown as Db;
  }

  async readMany(keys: string[]): Promise<Map<string, CacheRow>> {
    const out = new Map<string, CacheRow>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const rows = await this.db.selectFrom('enrichment_cache').selectAll().where('key', 'in', keys.slice(i, i + CHUNK)).execute();
      for (const r of rows) out.set(r.key, normalizeTimes(r));
    }
    return out;
  }

  async readOne(key: string): Promise<CacheRow | undefined> {
    const r = await this.db.selectFrom('enrichment_cache').selectAll().where('key', '=', key).executeTakeFirst();
    return r && normalizeTimes(r);
  }

  async writeResult(id: CacheIdentity, result: string, fetchedAt: number, status?: { json: string; at: number }): Promise<void> {
    const set: Partial<CacheTable> = { result, fetched_at: fetchedAt };
    if (status) Object.assign(set, { status_update: status.json, status_at: status.at });
    await this.db
      .insertInto('enrichment_cache')
      .values({ ...id, result, fetched_at: fetchedAt, status_update: status?.json ?? null, status_at: status?.at ?? null })
      .onConflict((oc) => oc.column('key').doUpdateSet(set))
      .execute();
  }

  async writeStatus(id: CacheIdentity, json: string, at: number): Promise<void> {
    await this.db
      .insertInto('enrichment_cache')
      .values({ ...id, result: null, fetched_at: null, status_update: json, status_at: at })
      .onConflict((oc) => oc.column('key').doUpdateSet({ status_update: json, status_at: at }))
      .execute();
  }

  // ── cross-process coalescing ──────────────────────────────────────────────

  /** True when this owner now holds the key: the primary key lets exactly one insert win. */
  async claim(key: string, owner: string, at: number): Promise<boolean> {
    const r = await this.db.insertInto('enrichment_pending').values({ key, owner, started_at: at }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async pending(key: string): Promise<PendingTable | undefined> {
    return this.db.selectFrom('enrichment_pending').selectAll().where('key', '=', key).executeTakeFirst();
  }

  async release(key: string, owner: string): Promise<void> {
    await this.db.deleteFrom('enrichment_pending').where('key', '=', key).where('owner', '=', owner).execute();
  }

  /** A claim older than `before` belongs to a worker that died mid-call. */
  async dropStale(key: string, before: number): Promise<void> {
    await this.db.deleteFrom('enrichment_pending').where('key', '=', key).where('started_at', '<', before).execute();
  }

  // ── quotas ────────────────────────────────────────────────────────────────

  async count(service: string, credential: string, day: string, field: 'requests' | 'status_requests'): Promise<void> {
    await this.db
      .insertInto('enrichment_usage')
      .values({ service, credential, day, requests: field === 'requests' ? 1 : 0, status_requests: field === 'status_requests' ? 1 : 0 })
      .onConflict((oc) => oc.columns(['service', 'credential', 'day']).doUpdateSet({ [field]: sql`enrichment_usage.${sql.ref(field)} + 1` }))
      .execute();
  }

  async usage(service: string, credential: string, day: string): Promise<{ requests: number; statusRequests: number }> {
    const r = await this.db.selectFrom('enrichment_usage').select(['requests', 'status_requests']).where('service', '=', service).where('credential', '=', credential).where('day', '=', day).executeTakeFirst();
    return { requests: Number(r?.requests ?? 0), statusRequests: Number(r?.status_requests ?? 0) };
  }

  async credential(service: string, credential: string): Promise<CredentialRow | undefined> {
    const r = await this.db.selectFrom('enrichment_credentials').selectAll().where('service', '=', service).where('credential', '=', credential).executeTakeFirst();
    if (!r) return undefined;
    return { ...r, license_at: r.license_at === null ? null : Number(r.license_at), exhausted_until: r.exhausted_until === null ? null : Number(r.exhausted_until) };
  }

  async setLicense(service: string, credential: string, license: string, at: number): Promise<void> {
    await this.db
      .insertInto('enrichment_credentials')
      .values({ service, credential, license, license_at: at, exhausted_until: null, exhausted_reason: null })
      .onConflict((oc) => oc.columns(['service', 'credential']).doUpdateSet({ license, license_at: at }))
      .execute();
  }

  async setExhausted(service: string, credential: string, until: number, reason: string): Promise<void> {
    await this.db
      .insertInto('enrichment_credentials')
      .values({ service, credential, license: null, license_at: null, exhausted_until: until, exhausted_reason: reason })
      .onConflict((oc) => oc.columns(['service', 'credential']).doUpdateSet({ exhausted_until: until, exhausted_reason: reason }))
      .execute();
  }

  async purgeTenants(tenantIds: string[], trx?: Transaction<any>): Promise<void> {
    if (tenantIds.length === 0) return;
    const db = (trx as unknown as Db | undefined) ?? this.db;
    await db.deleteFrom('enrichment_cache').where('tenant_id', 'in', tenantIds).execute();
  }
}

function normalizeTimes(r: CacheRow): CacheRow {
  return { ...r, fetched_at: r.fetched_at === null ? null : Number(r.fetched_at), status_at: r.status_at === null ? null : Number(r.status_at) };
}
