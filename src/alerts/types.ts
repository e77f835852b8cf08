import type { ObservableType } from './observables.ts';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s) + 1;

export const ALERT_STATUSES = ['new', 'inProgress', 'inIncident', 'closed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const INCIDENT_STATUSES = ['open', 'inProgress', 'hold', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export const RESOLUTIONS = ['truePositive', 'falsePositive', 'lowPriority', 'merged'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const ASSET_ROLES = ['attacker', 'victim'] as const;
export type AssetRole = (typeof ASSET_ROLES)[number];
export const MAX_ALERTS_PER_INCIDENT = 200;

export interface ObservableInput {
  type: ObservableType;
  value: string;
}

export interface HostInput {
  kind: 'host';
  name: string;
  role?: AssetRole;
  ips?: string[];
  os?: string;
  /** Agent ids per connector, e.g. {"kata": "sensor-42"}. */
  agentIds?: Record<string, string>;
}

export interface AccountInput {
  kind: 'account';
  login: string;
  role?: AssetRole;
  upn?: string;
  email?: string;
  sid?: string;
  domain?: string;
}

export type AssetInput = HostInput | AccountInput;

export interface AlertInput {
  title: string;
  description?: string;
  severity: Severity;
  source: string;
  sourceId?: string;
  rules?: string[];
  tactics?: string[];
  techniques?: string[];
  firstEventAt?: string;
  lastEventAt?: string;
  observables?: ObservableInput[];
  assets?: AssetInput[];
  events?: unknown[];
  externalRef?: string;
  additionalData?: Record<string, unknown>;
}

export interface Observable {
  id: string;
  alertId: string;
  type: ObservableType;
  value: string;
  enrichment: unknown | null;
  enrichmentAt: number | null;
  statusUpdate: unknown | null;
  statusUpdateAt: number | null;
}

export interface Asset {
  id: string;
  alertId: string;
  kind: 'host' | 'account';
  name: string;
  role: AssetRole | null;
  attributes: Record<string, unknown>;
}

export interface Comment {
  id: string;
  authorId: string | null;
  authorName: string;
  text: string;
  createdAt: number;
}

interface ItemHeader {
  id: string;
  shortId: string;
  tenantId: string;
  title: string;
  description: string | null;
  severity: Severity;
  resolution: Resolution | null;
  assigneeId: string | null;
  externalRef: string | null;
  additionalData: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  statusChangedAt: number;
}

export interface Alert extends ItemHeader {
  status: AlertStatus;
  source: string;
  sourceId: string | null;
  rules: string[];
  tactics: string[];
  techniques: string[];
  firstEventAt: number | null;
  lastEventAt: number | null;
  incidentId: string | null;
}

export interface AlertDetails extends Alert {
  observables: Observable[];
  assets: Asset[];
  events: unknown[];
  comments: Comment[];
}

export interface Incident extends ItemHeader {
  status: IncidentStatus;
  priority: Priority;
  creationType: 'auto' | 'manual';
  alertCount: number;
}
