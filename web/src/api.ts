/** The one way the console talks to xdrhub: JSON in and out, the CSRF header on writes, one error shape. */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    /** The failing field when the server names one (e.g. "body.config.url"). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function csrfToken(): string {
  const m = document.cookie.match(/(?:^|;\s*)xdrhub_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

export async function request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError('xdrhub does not answer: check that the server is running, then retry.', 0, 'network');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = data?.error;
    throw new ApiError(e?.message ?? `${res.status} ${res.statusText}`, res.status, e?.code ?? 'error', e?.details?.field);
  }
  return data as T;
}

export const api = {
  get: <T>(p: string) => request<T>('GET', p),
  post: <T>(p: string, b: unknown = {}) => request<T>('POST', p, b),
  patch: <T>(p: string, b: unknown) => request<T>('PATCH', p, b),
  put: <T>(p: string, b: unknown) => request<T>('PUT', p, b),
  del: <T>(p: string) => request<T>('DELETE', p),
};

export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const out = s.toString();
  return out ? `?${out}` : '';
}

/** The server names fields like "body.config.url" or "body.secrets.token": the last segment is the form field. */
export function fieldOf(err: unknown): string | undefined {
  return err instanceof ApiError && err.field ? err.field.split('.').pop() : undefined;
}

// ---- types (what the console reads; the API has more) ----
export type Permission = string;
export interface User { id: string; username: string; displayName: string; email: string | null; tenantId: string; disabled: boolean; roles: { id: string; tenantId: string; role: string }[] }
export interface Me { user: User; via: string; roles: { id: string; title: string; permissions: Permission[] }[] }
export interface TenantNode { id: string; parentId: string | null; name: string; kind: 'root' | 'shared' | 'customer'; depth: number; createdAt: string; updatedAt: string; children: TenantNode[] }
export interface TenantInfo { tenant: Omit<TenantNode, 'children'>; path: { id: string; name: string }[]; roles: string[] }
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export interface Alert {
  id: string; shortId: string; tenantId: string; title: string; description: string | null; severity: Severity; status: 'new' | 'inProgress' | 'inIncident' | 'closed';
  resolution: string | null; assigneeId: string | null; source: string; rules: string[]; createdAt: string; updatedAt: string; incidentId: string | null; externalRef: string | null;
}
export interface Enrichment { zone?: string; verdict?: string; categories?: string[]; keyFacts?: Record<string, unknown>; source?: string; fetchedAt?: string; portalUrl?: string; [k: string]: unknown }
export interface Observable { id: string; /** The alert it came with (each alert stores its own). */ alertId?: string; type: string; value: string; enrichment: Enrichment | null; enrichmentAt: string | null; statusUpdate: Enrichment | null; statusUpdateAt: string | null }
export interface Asset { id: string; alertId?: string; kind: 'host' | 'account'; name: string; role: string | null; attributes: Record<string, unknown> }
export interface Comment { id: string; authorName: string; text: string; createdAt: string }
export interface AlertDetails extends Alert { observables: Observable[]; assets: Asset[]; comments: Comment[]; events: unknown[]; tactics: string[]; techniques: string[] }
export interface Page<T> { items: T[]; nextCursor: string | null }
export interface JsonSchema { type?: string | string[]; title?: string; description?: string; default?: unknown; enum?: unknown[]; const?: unknown; anyOf?: JsonSchema[]; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema; minimum?: number; maximum?: number; minLength?: number; maxLength?: number; pattern?: string; format?: string }
export interface ActionDef { name: string; title: string; description?: string; targetKinds: string[]; paramsSchema: JsonSchema; undo: string | null }
export interface ConnectorType { type: string; title: string; description: string; configSchema: JsonSchema; secretsSchema: JsonSchema; rootOnlyFields: string[]; singleton: boolean; enrichTypes: string[]; actions: ActionDef[] }
export interface Integration {
  id: string; tenantId: string; type: string; name: string; enabled: boolean; config: Record<string, unknown>;
  secrets: { field: string; set: boolean; updatedAt: string | null; lastUsedAt?: string | null }[]; copiedFrom: { tenantId: string; instanceId: string } | null;
  /** What the connector reads from stored dates alone (e.g. a KASAP token near its expiry). */
  status?: { warnings: string[]; details?: Record<string, unknown> } | null;
  lastCheck: { ok: boolean; stage: string; message: string; at: string } | null; createdAt: string; updatedAt: string;
}
export interface CheckResult { ok: boolean; stage: string; message: string }
export interface CatalogueItem { instanceId: string; instanceName: string; type: string; action: string; title: string; description?: string; targetKinds: string[]; paramsSchema: JsonSchema; undo: string | null }
export interface ResponseAction {
  id: string; tenantId: string; launchId: string; instanceId: string; instanceName: string; connectorType: string; action: string;
  target: { kind: string; value: string; attributes?: Record<string, unknown> }; params: unknown; alertId: string | null; incidentId: string | null;
  launcher: { kind: string; id: string | null; name: string }; approvalRequired: boolean; approvalDeadline: string | null;
  decision: { byId: string | null; byName: string; at: string; comment: string | null } | null; status: string;
  result: { summary: string; output?: Record<string, unknown> } | null; error: string | null; undoOf: string | null; undoneBy: string | null;
  createdAt: string; updatedAt: string; finishedAt: string | null;
}
export interface AuditEntry { seq: number; id: string; at: string; actor: { kind: string; id: string | null; name: string }; tenantId: string | null; action: string; targetKind: string | null; targetId: string | null; outcome: string; details: unknown }
export interface Playbook { id: string; tenantId: string; name: string; description?: string; scope: string; mode: string; enabled: boolean; inherited?: boolean; readOnly?: boolean; version?: number; tags?: string[]; trigger?: string; steps?: unknown[]; templateId?: string | null; [k: string]: unknown }
export interface Template { id: string; title: string; description: string; playbook: Record<string, unknown> }
export interface Run { id: string; tenantId: string; playbookId: string; playbookName: string; playbookVersion: number; scope: string; itemId: string; trigger: string; launcher: { name: string }; status: string; error: string | null; approvalDeadline: string | null; createdAt: string; finishedAt: string | null; steps?: RunStep[] }
export interface RunStep { path: string; stepId: string; kind: string; status: string; input: unknown; output: unknown; error: string | null; startedAt: string; finishedAt: string | null }

// ---- alerts and incidents as one kind of page item ----
/** An alert or an incident: what the Observables, Assets, Response history and Comments tabs work on. */
export interface ItemRef { kind: 'alert' | 'incident'; id: string; tenantId: string }
/** The item's API path, e.g. /tenants/…/incidents/… (its enrich, refresh-status and comments routes hang below it). */
export const itemPath = (i: ItemRef) => `/tenants/${i.tenantId}/${i.kind}s/${i.id}`;
/** The query key of the item's details page: ['alert' | 'incident', tenantId, id]. */
export const itemKey = (i: ItemRef) => [i.kind, i.tenantId, i.id];
/** What a launch says about where it came from: recorded on the alert or the incident, and filtered by in its history. */
export const itemLaunch = (i: ItemRef): { alertId: string } | { incidentId: string } => (i.kind === 'alert' ? { alertId: i.id } : { incidentId: i.id });

// ---- response launches (the one launch API: approval, history and undo apply to every caller) ----
export interface LaunchBody {
  instanceId: string; action: string; params?: Record<string, unknown>; alertId?: string; incidentId?: string;
  observableIds?: string[]; assetIds?: string[]; targets?: { kind: string; value: string }[];
  approval?: { required: boolean; windowMinutes?: number };
}
export const launchAction = (tenantId: string, body: LaunchBody) =>
  api.post<{ launchId: string; actions: ResponseAction[] }>(`/tenants/${tenantId}/response/launches`, body);
/** History statuses after which an entry no longer changes by itself. */
export const FINISHED_STATUSES = ['succeeded', 'failed', 'rejected', 'timedOut', 'cancelled'];
export const isFinished = (a: Pick<ResponseAction, 'status'>) => FINISHED_STATUSES.includes(a.status);

// ---- users (Settings → Users) ----
export interface RoleAssignment { id: string; tenantId: string; role: string; createdAt: string }
export interface ManagedUser { id: string; username: string; displayName: string; email: string | null; tenantId: string; disabled: boolean; roles: RoleAssignment[]; createdAt: string; updatedAt: string }

// ---- my account ----
export interface ApiToken { id: string; name: string; createdAt: string; expiresAt: string; lastUsedAt: string | null; revokedAt: string | null }
