// Collector definitions per tenant: what listens where and which normalizer reads its events.
import type { Kysely, Transaction } from 'kysely';
import { invalidField, notFound } from '../../platform/errors.ts';
import { newId, now } from '../../platform/ids.ts';
import { findSource } from '../catalogue/index.ts';
import type { CollectorRow, EventsTables } from './tables.ts';

export const COLLECTOR_KINDS = ['syslog-udp', 'syslog-tcp', 'syslog-tls', 'http', 'file'] as const;
export type CollectorKind = (typeof COLLECTOR_KINDS)[number];

export const FILE_START_POSITIONS = ['end', 'beginning'] as const;

/** What a file collector follows (see pipeline/file-tail.ts). */
export interface FileSettings {
  /** Absolute path, inside XDRHUB_FILE_COLLECTOR_DIRS once symlinks and `..` are resolved. */
  path: string;
  /** Where reading starts the first time the file is found: its end (default) or its beginning. */
  startAt: (typeof FILE_START_POSITIONS)[number];
}

export interface Collector {
  id: string;
  tenantId: string;
  name: string;
  kind: CollectorKind;
  /** Configured port; 0 picks a free one (tests). Unused by HTTP collectors. */
  port: number;
  /** Catalogue source id used when no override matches the sender's address. */
  defaultSource: string;
  /** Sender address → catalogue source id. */
  sourceOverrides: Record<string, string>;
  tlsCert: string | null;
  /** File collectors only. */
  file: FileSettings | null;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface CollectorInput {
  name: string;
  kind: CollectorKind;
  port?: number;
  defaultSource: string;
  sourceOverrides?: Record<string, string>;
  enabled?: boolean;
  tls?: { cert: string; key: string };
  file?: { path: string; startAt?: FileSettings['startAt'] };
}

export interface CollectorPatch {
  name?: string;
  port?: number;
  defaultSource?: string;
  sourceOverrides?: Record<string, string>;
  enabled?: boolean;
  /** File collectors: another file (its reading starts over per startAt). */
  file?: { path: string; startAt?: FileSettings['startAt'] };
}

export const toCollector = (r: CollectorRow): Collector => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  kind: r.kind as CollectorKind,
  port: Number(r.port),
  defaultSource: r.default_source,
  sourceOverrides: JSON.parse(r.source_overrides),
  tlsCert: r.tls_cert,
  file: r.file_path ? { path: r.file_path, startAt: r.file_start_at === 'beginning' ? 'beginning' : 'end' } : null,
  enabled: !!Number(r.enabled),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Every catalogue id named by a collector must exist: a typo would silently drop all events. */
export function checkSources(defaultSource: string | undefined, overrides: Record<string, string> | undefined): void {
  if (defaultSource !== undefined && !findSource(defaultSource)) throw invalidField('defaultSource', `unknown catalogue source "${defaultSource}"`);
  for (const [ip, id] of Object.entries(overrides ?? {})) if (!findSource(id)) throw invalidField(`sourceOverrides.${ip}`, `unknown catalogue source "${id}"`);
}

export class CollectorStore {
  private readonly db: Kysely<EventsTables>;
  constructor(db: Kysely<any>) {
    this.db = db as Kysely<EventsTables>;
  }

  async insert(tenantId: string, input: CollectorInput, trx?: Kysely<any>): Promise<Collector> {
    const t = now();
    const row: CollectorRow = {
      id: newId(),
      tenant_id: tenantId,
      name: input.name,
      kind: input.kind,
      port: input.kind === 'http' || input.kind === 'file' ? 0 : (input.port ?? 0),
      default_source: input.defaultSource,
      source_overrides: JSON.stringify(input.sourceOverrides ?? {}),
      tls_cert: input.tls?.cert ?? null,
      file_path: input.kind === 'file' ? (input.file?.path ?? null) : null,
      file_start_at: input.kind === 'file' ? (input.file?.startAt ?? 'end') : null,
      enabled: input.enabled === false ? 0 : 1,
      created_at: t,
      updated_at: t,
    };
    await ((trx as Kysely<EventsTables>) ?? this.db).insertInto('event_collectors').values(row).execute();
    return toCollector(row);
  }

  async get(tenantId: string, id: string): Promise<Collector> {
    const row = await this.db.selectFrom('event_collectors').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('collector');
    return toCollector(row);
  }

  /** By id alone: the ingest route knows only the collector id (its token proves the tenant). */
  async find(id: string): Promise<Collector | undefined> {
    const row = await this.db.selectFrom('event_collectors').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCollector(row) : undefined;
  }

  async list(tenantId: string): Promise<Collector[]> {
    return (await this.db.selectFrom('event_collectors').selectAll().where('tenant_id', '=', tenantId).orderBy('name').orderBy('id').execute()).map(toCollector);
  }

  async listEnabled(): Promise<Collector[]> {
    return (await this.db.selectFrom('event_collectors').selectAll().where('enabled', '=', 1).execute()).map(toCollector);
  }

  async update(tenantId: string, id: string, patch: CollectorPatch): Promise<Collector> {
    const current = await this.get(tenantId, id);
    const values: Partial<CollectorRow> = { updated_at: now() };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.port !== undefined && current.kind !== 'http' && current.kind !== 'file') values.port = patch.port;
    if (patch.file !== undefined && current.kind === 'file') {
      values.file_path = patch.file.path;
      values.file_start_at = patch.file.startAt ?? current.file?.startAt ?? 'end';
    }
    if (patch.defaultSource !== undefined) values.default_source = patch.defaultSource;
    if (patch.sourceOverrides !== undefined) values.source_overrides = JSON.stringify(patch.sourceOverrides);
    if (patch.enabled !== undefined) values.enabled = patch.enabled ? 1 : 0;
    await this.db.updateTable('event_collectors').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string, trx?: Kysely<any>): Promise<void> {
    const res = await ((trx as Kysely<EventsTables>) ?? this.db).deleteFrom('event_collectors').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound('collector');
  }

  /** Ids of every file collector, enabled or not (their saved offsets are kept, others pruned). */
  async fileCollectorIds(): Promise<Set<string>> {
    return new Set((await this.db.selectFrom('event_collectors').select('id').where('kind', '=', 'file').execute()).map((r) => r.id));
  }

  async purge(tenantIds: string[], trx: Transaction<any>): Promise<string[]> {
    const t = trx as unknown as Transaction<EventsTables>;
    const ids = (await t.selectFrom('event_collectors').select('id').where('tenant_id', 'in', tenantIds).execute()).map((r) => r.id);
    await t.deleteFrom('event_collectors').where('tenant_id', 'in', tenantIds).execute();
    return ids;
  }
}
