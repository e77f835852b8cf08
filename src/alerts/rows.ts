import type { Alert, AlertStatus, Asset, Comment, Incident, IncidentStatus, Observable, Priority, Resolution, Severity } from './types.ts';
import type { ObservableType } from './observables.ts';

interface HeaderRow {
  id: string;
  tenant_id: string;
  seq: number;
  title: string;
  description: string | null;
  severity: string;
  severity_rank: number;
  status: string;
  resolution: string | null;
  assignee_id: string | null;
  external_ref: string | null;
  additional_data: string;
  created_at: number;
  updated_at: number;
  status_changed_at: number;
}
export interface AlertRow extends HeaderRow {
  source: string;
  source_id: string | null;
  rules: string;
  tactics: string;
  techniques: string;
  first_event_at: number | null;
  last_event_at: number | null;
  events: string;
  incident_id: string | null;
}
export interface IncidentRow extends HeaderRow {
  priority: string;
  creation_type: string;
}
export interface ObservableRow {
  id: string;
  tenant_id: string;
  alert_id: string;
  type: string;
  value: string;
  enrichment: string | null;
  enrichment_at: number | null;
  status_update: string | null;
  status_update_at: number | null;
}
export interface AssetRow {
  id: string;
  tenant_id: string;
  alert_id: string;
  kind: string;
  identity: string;
  role: string | null;
  name: string;
  attributes: string;
}
export interface CommentRow {
  id: string;
  tenant_id: string;
  item_kind: string;
  item_id: string;
  author_id: string | null;
  author_name: string;
  text: string;
  created_at: number;
}
export type AlertsTables = {
  alerts: AlertRow;
  incidents: IncidentRow;
  observables: ObservableRow;
  assets: AssetRow;
  comments: CommentRow;
  alert_rules: { alert_id: string; tenant_id: string; rule: string };
  alert_counters: { tenant_id: string; kind: string; next: number };
};

const num = (v: number | null) => (v == null ? null : Number(v));

function header(row: HeaderRow, prefix: string) {
  return {
    id: row.id,
    shortId: `${prefix}-${row.seq}`,
    tenantId: row.tenant_id,
    title: row.title,
    description: row.description,
    severity: row.severity as Severity,
    resolution: row.resolution as Resolution | null,
    assigneeId: row.assignee_id,
    externalRef: row.external_ref,
    additionalData: JSON.parse(row.additional_data) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    statusChangedAt: Number(row.status_changed_at),
  };
}

export function toAlert(row: AlertRow): Alert {
  return {
    ...header(row, 'ALR'),
    status: row.status as AlertStatus,
    source: row.source,
    sourceId: row.source_id,
    rules: JSON.parse(row.rules),
    tactics: JSON.parse(row.tactics),
    techniques: JSON.parse(row.techniques),
    firstEventAt: num(row.first_event_at),
    lastEventAt: num(row.last_event_at),
    incidentId: row.incident_id,
  };
}

export function toIncident(row: IncidentRow, alertCount: number): Incident {
  return { ...header(row, 'INC'), status: row.status as IncidentStatus, priority: row.priority as Priority, creationType: row.creation_type as 'auto' | 'manual', alertCount };
}

export function toObservable(row: ObservableRow): Observable {
  return {
    id: row.id,
    alertId: row.alert_id,
    type: row.type as ObservableType,
    value: row.value,
    enrichment: row.enrichment ? JSON.parse(row.enrichment) : null,
    enrichmentAt: num(row.enrichment_at),
    statusUpdate: row.status_update ? JSON.parse(row.status_update) : null,
    statusUpdateAt: num(row.status_update_at),
  };
}

export function toAsset(row: AssetRow): Asset {
  return { id: row.id, alertId: row.alert_id, kind: row.kind as 'host' | 'account', name: row.name, role: row.role as Asset['role'], attributes: JSON.parse(row.attributes) };
}

export function toComment(row: CommentRow): Comment {
  return { id: row.id, authorId: row.author_id, authorName: row.author_name, text: row.text, createdAt: Number(row.created_at) };
}
