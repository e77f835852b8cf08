import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../platform/db/index.ts';
import { newId, now } from '../platform/ids.ts';
import { conflict, invalidField, notFound } from '../platform/errors.ts';
import type { Actor } from '../platform/actor.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import { normalizeObservable, ObservableError, type ObservableType } from './observables.ts';
import {
  MAX_ALERTS_PER_INCIDENT,
  severityRank,
  type Alert,
  type AlertDetails,
  type AlertInput,
  type AlertStatus,
  type Asset,
  type AssetInput,
  type Comment,
  type Incident,
  type IncidentStatus,
  type Observable,
  type Priority,
  type Resolution,
  type Severity,
} from './types.ts';
import type { AlertsTables, AlertRow, IncidentRow, ObservableRow, AssetRow } from './rows.ts';
import { toAlert, toAsset, toComment, toIncident, toObservable } from './rows.ts';
import { decodeCursor, encodeCursor, SORTS, type SortKey } from './paging.ts';

type Db = Kysely<AlertsTables>;

export interface AlertFilter {
  tenantIds: string[];
  status?: AlertStatus[];
  severity?: Severity[];
  assigneeId?: string;
  from?: number;
  to?: number;
  observable?: string;
  observableType?: ObservableType;
  rule?: string;
  incidentId?: string;
  q?: string;
  sort?: SortKey;
  limit: number;
  cursor?: string;
}

export interface AlertPatch {
  assigneeId?: string | null;
  status?: AlertStatus;
  resolution?: Resolution | null;
  severity?: Severity;
  externalRef?: string | null;
  additionalData?: Record<string, unknown>;
}

export interface IncidentPatch {
  title?: string;
  description?: string | null;
  assigneeId?: string | null;
  status?: IncidentStatus;
  resolution?: Resolution | null;
  severity?: Severity;
  priority?: Priority;
  externalRef?: string | null;
  additionalData?: Record<string, unknown>;
}

/** Change notifications (playbook triggers, Redmine sync) — subscribers must not throw. */
export type AlertsListener = (event: { kind: 'alert' | 'incident'; change: 'created' | 'updated'; tenantId: string; id: string }) => void;

const MAX_EVENTS = 50;
/** Rows per multi-row statement (alerts have 24 columns; SQLite binds at most 32,766 values). */
const CHUNK = 250;

function parseTime(field: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidField(field, 'must be an ISO 8601 date-time');
  return ms;
}

function assetIdentity(a: AssetInput): { identity: string; name: string; attributes: Record<string, unknown> } {
  if (a.kind === 'host') {
    const name = a.name.trim().toLowerCase();
    return { identity: name, name, attributes: { ips: a.ips ?? [], os: a.os ?? null, agentIds: a.agentIds ?? {} } };
  }
  const login = a.login.trim();
  const domain = a.domain?.trim() ?? '';
  return {
    identity: `${domain.toLowerCase()}\\${login.toLowerCase()}`,
    name: domain ? `${domain}\\${login}` : login,
    attributes: { login, upn: a.upn ?? null, email: a.email ?? null, sid: a.sid ?? null, domain: domain || null },
  };
}

type HeaderPatch = { assigneeId?: string | null; status?: string; resolution?: Resolution | null; severity?: Severity; externalRef?: string | null; additionalData?: Record<string, unknown> };

/**
 * The column changes common to alerts and incidents. A closed item is read-only except for
 * reopening (a patch with only a new status); closing needs a resolution; reopening clears it.
 */
function headerChanges(kind: 'alert' | 'incident', row: { status: string; resolution: string | null; additional_data: string }, patch: HeaderPatch) {
  const reopening = row.status === 'closed' && patch.status !== undefined && patch.status !== 'closed' && Object.keys(patch).length === 1;
  if (row.status === 'closed' && !reopening) throw conflict(`the ${kind} is closed and read-only: reopen it first`);
  if (patch.status === 'closed' && !(patch.resolution ?? row.resolution)) throw invalidField('resolution', `is required to close an ${kind}`);
  const t = now();
  const set: { [k: string]: unknown } = { updated_at: t };
  if (patch.assigneeId !== undefined) set.assignee_id = patch.assigneeId;
  if (patch.status !== undefined && patch.status !== row.status) {
    set.status = patch.status;
    set.status_changed_at = t;
    if (patch.status !== 'closed') set.resolution = null;
  }
  if (patch.resolution !== undefined) set.resolution = patch.resolution;
  if (patch.severity !== undefined) {
    set.severity = patch.severity;
    set.severity_rank = severityRank(patch.severity);
  }
  if (patch.externalRef !== undefined) set.external_ref = patch.externalRef;
  if (patch.additionalData !== undefined) set.additional_data = JSON.stringify({ ...JSON.parse(row.additional_data), ...patch.additionalData });
  return set;
}

export class AlertsService {
  private readonly db: Db;
  private readonly listeners: AlertsListener[] = [];

  constructor(private readonly deps: { database: Database; audit: AuditLog }) {
    this.db = deps.database.db.withTables<AlertsTables>() as unknown as Db;
  }

  onChange(listener: AlertsListener): void {
    this.listeners.push(listener);
  }

  private emit(event: Parameters<AlertsListener>[0]): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  // ── alerts ─────────────────────────────────────────────────────────────────

  /**
   * Creates alerts in one transaction. Idempotent by (source, sourceId): a re-sent batch
   * returns the existing alerts and creates nothing twice.
   */
  async createAlerts(tenantId: string, inputs: AlertInput[], actor: Actor): Promise<{ id: string; shortId: string; created: boolean }[]> {
    const prepared = inputs.map((input, i) => this.prepare(input, inputs.length > 1 ? `alerts.${i}` : ''));
    const out: { id: string; shortId: string; created: boolean }[] = [];
    await this.db.transaction().execute(async (trx) => {
      // One query finds every alert of the batch that exists already (idempotency).
      const existing = new Map<string, { id: string; seq: number }>();
      const bySource = new Map<string, string[]>();
      for (const p of prepared) if (p.input.sourceId) bySource.set(p.input.source, [...(bySource.get(p.input.source) ?? []), p.input.sourceId]);
      for (const [source, ids] of bySource) {
        for (let i = 0; i < ids.length; i += CHUNK * 2) {
          const rows = await trx
            .selectFrom('alerts')
            .select(['id', 'seq', 'source_id'])
            .where('tenant_id', '=', tenantId)
            .where('source', '=', source)
            .where('source_id', 'in', ids.slice(i, i + CHUNK * 2))
            .execute();
          for (const r of rows) existing.set(`${source}\u0000${r.source_id}`, { id: r.id, seq: r.seq });
        }
      }
      const fresh: typeof prepared = [];
      const seen = new Map<string, { id: string; seq: number }>();
      const plan = prepared.map((p) => {
        const key = p.input.sourceId ? `${p.input.source}\u0000${p.input.sourceId}` : null;
        const hit = key ? (existing.get(key) ?? seen.get(key)) : undefined;
        if (hit) return { hit, p };
        fresh.push(p);
        const slot = { id: newId(), seq: 0 };
        if (key) seen.set(key, slot);
        return { slot, p };
      });
      let seq = fresh.length ? await this.reserveSeq(trx, tenantId, 'alert', fresh.length) : 0;
      const t = now();
      const alertRows: AlertRow[] = [];
      const ruleRows: { alert_id: string; tenant_id: string; rule: string }[] = [];
      const observableRows: ObservableRow[] = [];
      const assetRows: AssetRow[] = [];
      for (const step of plan) {
        if ('hit' in step && step.hit) {
          out.push({ id: step.hit.id, shortId: `ALR-${step.hit.seq}`, created: false });
          continue;
        }
        const slot = (step as { slot: { id: string; seq: number } }).slot;
        if (slot.seq === 0) slot.seq = seq++;
        const { input } = step.p;
        alertRows.push({
          id: slot.id,
          tenant_id: tenantId,
          seq: slot.seq,
          title: input.title,
          description: input.description ?? null,
          severity: input.severity,
          severity_rank: severityRank(input.severity),
          status: 'new',
          resolution: null,
          assignee_id: null,
          external_ref: input.externalRef ?? null,
          additional_data: JSON.stringify(input.additionalData ?? {}),
          created_at: t,
          updated_at: t,
          status_changed_at: t,
          source: input.source,
          source_id: input.sourceId ?? null,
          rules: JSON.stringify(input.rules ?? []),
          tactics: JSON.stringify(input.tactics ?? []),
          techniques: JSON.stringify(input.techniques ?? []),
          first_event_at: step.p.firstEventAt,
          last_event_at: step.p.lastEventAt,
          events: JSON.stringify((input.events ?? []).slice(0, MAX_EVENTS)),
          incident_id: null,
        });
        for (const rule of new Set(input.rules ?? [])) ruleRows.push({ alert_id: slot.id, tenant_id: tenantId, rule });
        for (const o of step.p.observables) observableRows.push({ id: newId(), tenant_id: tenantId, alert_id: slot.id, type: o.type, value: o.value, enrichment: null, enrichment_at: null, status_update: null, status_update_at: null });
        for (const a of step.p.assets) assetRows.push({ id: newId(), tenant_id: tenantId, alert_id: slot.id, kind: a.kind, identity: a.identity, role: a.role, name: a.name, attributes: JSON.stringify(a.attributes) });
        out.push({ id: slot.id, shortId: `ALR-${slot.seq}`, created: true });
      }
      // Multi-row inserts in chunks that stay under SQLite's bound-parameter limit.
      for (let i = 0; i < alertRows.length; i += CHUNK) await trx.insertInto('alerts').values(alertRows.slice(i, i + CHUNK)).execute();
      for (let i = 0; i < ruleRows.length; i += CHUNK * 4) await trx.insertInto('alert_rules').values(ruleRows.slice(i, i + CHUNK * 4)).execute();
      for (let i = 0; i < observableRows.length; i += CHUNK * 2) await trx.insertInto('observables').values(observableRows.slice(i, i + CHUNK * 2)).execute();
      for (let i = 0; i < assetRows.length; i += CHUNK * 2) await trx.insertInto('assets').values(assetRows.slice(i, i + CHUNK * 2)).execute();
      const created = out.filter((o) => o.created);
      if (created.length) {
        await this.deps.audit.append({ actor, tenantId, action: created.length === 1 ? 'alert.create' : 'alert.create_batch', target: { kind: 'alert', id: created[0].id }, details: { count: created.length, source: inputs[0]?.source } }, trx);
      }
    });
    for (const o of out) if (o.created) this.emit({ kind: 'alert', change: 'created', tenantId, id: o.id });
    return out;
  }

  /** Validates and normalizes one input; duplicate observables and assets collapse. */
  private prepare(input: AlertInput, prefix: string) {
    const field = (f: string) => (prefix ? `${prefix}.${f}` : f);
    const seen = new Set<string>();
    const observables: { type: ObservableType; value: string }[] = [];
    (input.observables ?? []).forEach((o, i) => {
      let value: string;
      try {
        value = normalizeObservable(o.type, o.value);
      } catch (err) {
        if (err instanceof ObservableError) throw invalidField(field(`observables.${i}.value`), err.message);
        throw err;
      }
      const key = `${o.type}\u0000${value}`;
      if (!seen.has(key)) {
        seen.add(key);
        observables.push({ type: o.type, value });
      }
    });
    const assetKeys = new Map<string, { kind: 'host' | 'account'; identity: string; name: string; role: string | null; attributes: Record<string, unknown> }>();
    for (const a of input.assets ?? []) {
      const { identity, name, attributes } = assetIdentity(a);
      const key = `${a.kind}\u0000${identity}`;
      if (!assetKeys.has(key)) assetKeys.set(key, { kind: a.kind, identity, name, role: a.role ?? null, attributes });
    }
    return {
      input,
      observables,
      assets: [...assetKeys.values()],
      firstEventAt: parseTime(field('firstEventAt'), input.firstEventAt),
      lastEventAt: parseTime(field('lastEventAt'), input.lastEventAt),
    };
  }

  private nextSeq(trx: Transaction<AlertsTables>, tenantId: string, kind: 'alert' | 'incident'): Promise<number> {
    return this.reserveSeq(trx, tenantId, kind, 1);
  }

  /** Reserves `count` consecutive short-id numbers and returns the first. */
  private async reserveSeq(trx: Transaction<AlertsTables>, tenantId: string, kind: 'alert' | 'incident', count: number): Promise<number> {
    let q = trx.selectFrom('alert_counters').select('next').where('tenant_id', '=', tenantId).where('kind', '=', kind);
    // SQLite has no FOR UPDATE: its write transaction is already exclusive.
    if (this.deps.database.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) {
      await trx.insertInto('alert_counters').values({ tenant_id: tenantId, kind, next: 1 + count }).execute();
      return 1;
    }
    await trx.updateTable('alert_counters').set({ next: row.next + count }).where('tenant_id', '=', tenantId).where('kind', '=', kind).execute();
    return row.next;
  }

  async list(filter: AlertFilter): Promise<{ items: Alert[]; nextCursor: string | null }> {
    const sort = SORTS[filter.sort ?? '-createdAt'];
    let q = this.db.selectFrom('alerts').selectAll().where('tenant_id', 'in', filter.tenantIds);
    if (filter.status?.length) q = q.where('status', 'in', filter.status);
    if (filter.severity?.length) q = q.where('severity', 'in', filter.severity);
    if (filter.assigneeId) q = q.where('assignee_id', '=', filter.assigneeId);
    if (filter.from !== undefined) q = q.where('created_at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('created_at', '<', filter.to);
    if (filter.incidentId) q = q.where('incident_id', '=', filter.incidentId);
    if (filter.q) q = q.where('title', 'like', `%${filter.q.replace(/[%_\\]/g, '')}%`);
    if (filter.rule) {
      const rule = filter.rule;
      q = q.where('id', 'in', (eb) => eb.selectFrom('alert_rules').select('alert_id').where('tenant_id', 'in', filter.tenantIds).where('rule', '=', rule));
    }
    if (filter.observable) {
      const values = new Set([filter.observable]);
      // Match the normalized form too, so "10.0.0.01"-style or mixed-case input still pivots.
      if (filter.observableType) {
        try {
          values.add(normalizeObservable(filter.observableType, filter.observable));
        } catch {
          /* an invalid value simply matches nothing more */
        }
      }
      q = q.where('id', 'in', (eb) => {
        let sub = eb.selectFrom('observables').select('alert_id').where('tenant_id', 'in', filter.tenantIds).where('value', 'in', [...values]);
        if (filter.observableType) sub = sub.where('type', '=', filter.observableType);
        return sub;
      });
    }
    if (filter.cursor) {
      const c = decodeCursor(filter.cursor);
      if (!c) throw invalidField('querystring.cursor', 'is not a cursor this API returned');
      const op = sort.desc ? '<' : '>';
      q = q.where((eb) => eb.or([eb(sort.column, op, c.v), eb.and([eb(sort.column, '=', c.v), eb('id', op, c.id)])]));
    }
    const rows = await q
      .orderBy(sort.column, sort.desc ? 'desc' : 'asc')
      .orderBy('id', sort.desc ? 'desc' : 'asc')
      .limit(filter.limit + 1)
      .execute();
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return { items: page.map(toAlert), nextCursor: rows.length > filter.limit && last ? encodeCursor(Number(last[sort.column]), last.id) : null };
  }

  private async alertRow(tenantId: string, id: string, trx?: Transaction<AlertsTables>): Promise<AlertRow> {
    const row = await (trx ?? this.db).selectFrom('alerts').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!row) throw notFound('alert');
    return row;
  }

  async get(tenantId: string, id: string): Promise<AlertDetails> {
    const row = await this.alertRow(tenantId, id);
    const [observables, assets, comments] = await Promise.all([
      this.db.selectFrom('observables').selectAll().where('alert_id', '=', id).orderBy('type').orderBy('value').execute(),
      this.db.selectFrom('assets').selectAll().where('alert_id', '=', id).orderBy('kind').orderBy('name').execute(),
      this.db.selectFrom('comments').selectAll().where('item_kind', '=', 'alert').where('item_id', '=', id).orderBy('created_at').execute(),
    ]);
    return { ...toAlert(row), observables: observables.map(toObservable), assets: assets.map(toAsset), events: JSON.parse(row.events), comments: comments.map(toComment) };
  }

  /**
   * Short id and title of alerts or incidents, by `tenantId:id`, in one query: what lists that
   * point at them (e.g. the approvals queue) show. Items of other tenants are simply absent.
   */
  async headlines(kind: 'alert' | 'incident', refs: { tenantId: string; id: string }[]): Promise<Map<string, { shortId: string; title: string }>> {
    const out = new Map<string, { shortId: string; title: string }>();
    if (refs.length === 0) return out;
    const table = kind === 'alert' ? 'alerts' : 'incidents';
    const prefix = kind === 'alert' ? 'ALR' : 'INC';
    for (let i = 0; i < refs.length; i += CHUNK) {
      const part = refs.slice(i, i + CHUNK);
      const rows = await this.db.selectFrom(table).select(['id', 'tenant_id', 'seq', 'title']).where('id', 'in', [...new Set(part.map((r) => r.id))]).where('tenant_id', 'in', [...new Set(part.map((r) => r.tenantId))]).execute();
      for (const row of rows) out.set(`${row.tenant_id}:${row.id}`, { shortId: `${prefix}-${row.seq}`, title: row.title });
    }
    return out;
  }

  /** Many alerts with their observables, assets and comments in four queries (trigger input). */
  async getMany(tenantId: string, ids: string[]): Promise<AlertDetails[]> {
    const out: AlertDetails[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      const [rows, observables, assets, comments] = await Promise.all([
        this.db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', part).execute(),
        this.db.selectFrom('observables').selectAll().where('alert_id', 'in', part).orderBy('type').orderBy('value').execute(),
        this.db.selectFrom('assets').selectAll().where('alert_id', 'in', part).orderBy('kind').orderBy('name').execute(),
        this.db.selectFrom('comments').selectAll().where('item_kind', '=', 'alert').where('item_id', 'in', part).orderBy('created_at').execute(),
      ]);
      const group = <T extends { alert_id?: string; item_id?: string }>(xs: T[], key: (x: T) => string) => {
        const m = new Map<string, T[]>();
        for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
        return m;
      };
      const obs = group(observables, (o) => o.alert_id);
      const ast = group(assets, (a) => a.alert_id);
      const com = group(comments, (c) => c.item_id);
      for (const row of rows) {
        out.push({ ...toAlert(row), observables: (obs.get(row.id) ?? []).map(toObservable), assets: (ast.get(row.id) ?? []).map(toAsset), events: JSON.parse(row.events), comments: (com.get(row.id) ?? []).map(toComment) });
      }
    }
    return out;
  }

  async update(tenantId: string, id: string, patch: AlertPatch, actor: Actor): Promise<Alert> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.alertRow(tenantId, id, trx);
      if (patch.status === 'inIncident') throw invalidField('status', 'inIncident is set by linking the alert to an incident');
      const set: Partial<AlertRow> = headerChanges('alert', row, patch);
      await trx.updateTable('alerts').set(set).where('id', '=', id).execute();
      await this.deps.audit.append({ actor, tenantId, action: 'alert.update', target: { kind: 'alert', id }, details: { changed: Object.keys(patch), status: patch.status } }, trx);
    });
    this.emit({ kind: 'alert', change: 'updated', tenantId, id });
    return toAlert(await this.alertRow(tenantId, id));
  }

  async comment(tenantId: string, kind: 'alert' | 'incident', id: string, text: string, actor: Actor): Promise<Comment> {
    const trimmed = text.trim();
    if (!trimmed) throw invalidField('text', 'must not be empty');
    if (kind === 'alert') {
      const row = await this.alertRow(tenantId, id);
      if (row.status === 'closed') throw conflict('the alert is closed and read-only');
    } else {
      const row = await this.incidentRow(tenantId, id);
      if (row.status === 'closed') throw conflict('the incident is closed and read-only');
    }
    const row = { id: newId(), tenant_id: tenantId, item_kind: kind, item_id: id, author_id: actor.id, author_name: actor.name, text: trimmed, created_at: now() };
    await this.db.insertInto('comments').values(row).execute();
    this.emit({ kind, change: 'updated', tenantId, id });
    return toComment(row);
  }

  // ── observables and assets ─────────────────────────────────────────────────

  async observablesOf(tenantId: string, alertIds: string[], observableIds?: string[]): Promise<Observable[]> {
    if (alertIds.length === 0 && !observableIds?.length) return [];
    let q = this.db.selectFrom('observables').selectAll().where('tenant_id', '=', tenantId);
    if (alertIds.length) q = q.where('alert_id', 'in', alertIds);
    if (observableIds?.length) q = q.where('id', 'in', observableIds);
    return (await q.execute()).map(toObservable);
  }

  async assetsOf(tenantId: string, alertIds: string[], assetIds?: string[]): Promise<Asset[]> {
    if (alertIds.length === 0 && !assetIds?.length) return [];
    let q = this.db.selectFrom('assets').selectAll().where('tenant_id', '=', tenantId);
    if (alertIds.length) q = q.where('alert_id', 'in', alertIds);
    if (assetIds?.length) q = q.where('id', 'in', assetIds);
    return (await q.execute()).map(toAsset);
  }

  /** Stores an enrichment result on every observable of the tenant with this type and value. */
  async recordEnrichment(tenantId: string, type: ObservableType, value: string, column: 'enrichment' | 'statusUpdate', result: unknown, at: number): Promise<number> {
    const set = column === 'enrichment' ? { enrichment: JSON.stringify(result), enrichment_at: at } : { status_update: JSON.stringify(result), status_update_at: at };
    const res = await this.db.updateTable('observables').set(set).where('tenant_id', '=', tenantId).where('type', '=', type).where('value', '=', value).executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  // ── incidents ──────────────────────────────────────────────────────────────

  private async incidentRow(tenantId: string, id: string, trx?: Transaction<AlertsTables>): Promise<IncidentRow> {
    const row = await (trx ?? this.db).selectFrom('incidents').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!row) throw notFound('incident');
    return row;
  }

  async createIncident(
    tenantId: string,
    input: { title: string; description?: string; severity: Severity; priority?: Priority; alertIds?: string[]; creationType?: 'auto' | 'manual'; additionalData?: Record<string, unknown> },
    actor: Actor,
  ): Promise<Incident> {
    const id = newId();
    await this.db.transaction().execute(async (trx) => {
      const seq = await this.nextSeq(trx, tenantId, 'incident');
      const t = now();
      await trx
        .insertInto('incidents')
        .values({
          id,
          tenant_id: tenantId,
          seq,
          title: input.title,
          description: input.description ?? null,
          severity: input.severity,
          severity_rank: severityRank(input.severity),
          status: 'open',
          resolution: null,
          assignee_id: null,
          external_ref: null,
          additional_data: JSON.stringify(input.additionalData ?? {}),
          created_at: t,
          updated_at: t,
          status_changed_at: t,
          priority: input.priority ?? input.severity,
          creation_type: input.creationType ?? 'manual',
        })
        .execute();
      if (input.alertIds?.length) await this.linkIn(trx, tenantId, id, input.alertIds);
      await this.deps.audit.append({ actor, tenantId, action: 'incident.create', target: { kind: 'incident', id }, details: { alerts: input.alertIds?.length ?? 0 } }, trx);
    });
    this.emit({ kind: 'incident', change: 'created', tenantId, id });
    return this.getIncident(tenantId, id);
  }

  private async linkIn(trx: Transaction<AlertsTables>, tenantId: string, incidentId: string, alertIds: string[]): Promise<void> {
    const unique = [...new Set(alertIds)];
    const rows = await trx.selectFrom('alerts').select(['id', 'status', 'incident_id']).where('tenant_id', '=', tenantId).where('id', 'in', unique).execute();
    if (rows.length !== unique.length) throw notFound('alert');
    for (const r of rows) {
      if (r.status === 'closed') throw conflict(`alert ${r.id} is closed and cannot be linked`);
      if (r.incident_id && r.incident_id !== incidentId) throw conflict(`alert ${r.id} already belongs to another incident: unlink it first`);
    }
    const count = Number((await trx.selectFrom('alerts').select((eb) => eb.fn.countAll().as('n')).where('incident_id', '=', incidentId).executeTakeFirstOrThrow()).n);
    const adding = rows.filter((r) => r.incident_id !== incidentId).length;
    if (count + adding > MAX_ALERTS_PER_INCIDENT) throw conflict(`an incident holds at most ${MAX_ALERTS_PER_INCIDENT} alerts (it has ${count})`);
    const t = now();
    await trx.updateTable('alerts').set({ incident_id: incidentId, status: 'inIncident', status_changed_at: t, updated_at: t }).where('id', 'in', unique).execute();
  }

  async link(tenantId: string, incidentId: string, alertIds: string[], actor: Actor): Promise<Incident> {
    await this.db.transaction().execute(async (trx) => {
      const inc = await this.incidentRow(tenantId, incidentId, trx);
      if (inc.status === 'closed') throw conflict('the incident is closed and read-only');
      await this.linkIn(trx, tenantId, incidentId, alertIds);
      await this.deps.audit.append({ actor, tenantId, action: 'incident.link', target: { kind: 'incident', id: incidentId }, details: { alertIds } }, trx);
    });
    this.emit({ kind: 'incident', change: 'updated', tenantId, id: incidentId });
    return this.getIncident(tenantId, incidentId);
  }

  async unlink(tenantId: string, incidentId: string, alertId: string, actor: Actor): Promise<Incident> {
    await this.db.transaction().execute(async (trx) => {
      const inc = await this.incidentRow(tenantId, incidentId, trx);
      if (inc.status === 'closed') throw conflict('the incident is closed and read-only');
      const alert = await this.alertRow(tenantId, alertId, trx);
      if (alert.incident_id !== incidentId) throw notFound('alert in this incident');
      const t = now();
      await trx.updateTable('alerts').set({ incident_id: null, status: 'inProgress', status_changed_at: t, updated_at: t }).where('id', '=', alertId).execute();
      await this.deps.audit.append({ actor, tenantId, action: 'incident.unlink', target: { kind: 'incident', id: incidentId }, details: { alertId } }, trx);
    });
    this.emit({ kind: 'incident', change: 'updated', tenantId, id: incidentId });
    return this.getIncident(tenantId, incidentId);
  }

  async getIncident(tenantId: string, id: string): Promise<Incident> {
    const row = await this.incidentRow(tenantId, id);
    const n = Number((await this.db.selectFrom('alerts').select((eb) => eb.fn.countAll().as('n')).where('incident_id', '=', id).executeTakeFirstOrThrow()).n);
    return toIncident(row, n);
  }

  async incidentComments(id: string): Promise<Comment[]> {
    return (await this.db.selectFrom('comments').selectAll().where('item_kind', '=', 'incident').where('item_id', '=', id).orderBy('created_at').execute()).map(toComment);
  }

  async listIncidents(filter: { tenantIds: string[]; status?: IncidentStatus[]; severity?: Severity[]; assigneeId?: string; sort?: SortKey; limit: number; cursor?: string }): Promise<{ items: Incident[]; nextCursor: string | null }> {
    const sort = SORTS[filter.sort ?? '-createdAt'];
    let q = this.db.selectFrom('incidents').selectAll().where('tenant_id', 'in', filter.tenantIds);
    if (filter.status?.length) q = q.where('status', 'in', filter.status);
    if (filter.severity?.length) q = q.where('severity', 'in', filter.severity);
    if (filter.assigneeId) q = q.where('assignee_id', '=', filter.assigneeId);
    if (filter.cursor) {
      const c = decodeCursor(filter.cursor);
      if (!c) throw invalidField('querystring.cursor', 'is not a cursor this API returned');
      const op = sort.desc ? '<' : '>';
      q = q.where((eb) => eb.or([eb(sort.column, op, c.v), eb.and([eb(sort.column, '=', c.v), eb('id', op, c.id)])]));
    }
    const rows = await q.orderBy(sort.column, sort.desc ? 'desc' : 'asc').orderBy('id', sort.desc ? 'desc' : 'asc').limit(filter.limit + 1).execute();
    const page = rows.slice(0, filter.limit);
    const counts = page.length
      ? await this.db.selectFrom('alerts').select(['incident_id', (eb) => eb.fn.countAll().as('n')]).where('incident_id', 'in', page.map((r) => r.id)).groupBy('incident_id').execute()
      : [];
    const byId = new Map(counts.map((c) => [c.incident_id, Number(c.n)]));
    const last = page.at(-1);
    return { items: page.map((r) => toIncident(r, byId.get(r.id) ?? 0)), nextCursor: rows.length > filter.limit && last ? encodeCursor(Number(last[sort.column]), last.id) : null };
  }

  async updateIncident(tenantId: string, id: string, patch: IncidentPatch, actor: Actor): Promise<Incident> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.incidentRow(tenantId, id, trx);
      const set: Partial<IncidentRow> = headerChanges('incident', row, patch);
      if (patch.title !== undefined) set.title = patch.title;
      if (patch.description !== undefined) set.description = patch.description;
      if (patch.priority !== undefined) set.priority = patch.priority;
      await trx.updateTable('incidents').set(set).where('id', '=', id).execute();
      await this.deps.audit.append({ actor, tenantId, action: 'incident.update', target: { kind: 'incident', id }, details: { changed: Object.keys(patch), status: patch.status } }, trx);
    });
    this.emit({ kind: 'incident', change: 'updated', tenantId, id });
    return this.getIncident(tenantId, id);
  }

  // ── tenant purge ───────────────────────────────────────────────────────────

  async purgeTenants(tenantIds: string[], trx: Transaction<any>): Promise<void> {
    const t = trx as unknown as Transaction<AlertsTables>;
    for (const table of ['observables', 'assets', 'comments', 'alert_rules', 'alerts', 'incidents', 'alert_counters'] as const) {
      await t.deleteFrom(table).where('tenant_id', 'in', tenantIds).execute();
    }
  }
}

