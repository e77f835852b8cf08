import type { ActionTarget } from '../integrations/framework/contract.ts';

export const RESPONSE_STATUSES = ['queued', 'awaitingApproval', 'inProgress', 'succeeded', 'failed', 'rejected', 'timedOut', 'cancelled'] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

export type ResponseActionRow = {
  id: string;
  tenant_id: string;
  launch_id: string;
  instance_id: string;
  instance_name: string;
  connector_type: string;
  action: string;
  target_kind: string;
  target_value: string;
  target_attributes: string;
  params: string;
  alert_id: string | null;
  incident_id: string | null;
  launcher_kind: string;
  launcher_id: string | null;
  launcher_name: string;
  approval_required: number;
  approval_deadline: number | null;
  decided_by_id: string | null;
  decided_by_name: string | null;
  decided_at: number | null;
  decision_comment: string | null;
  status: string;
  result: string | null;
  error: string | null;
  undo_of: string | null;
  undone_by: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
};
export type ResponseTables = { response_actions: ResponseActionRow };

export interface ResponseAction {
  id: string;
  tenantId: string;
  launchId: string;
  instanceId: string;
  instanceName: string;
  connectorType: string;
  action: string;
  target: ActionTarget;
  params: unknown;
  alertId: string | null;
  incidentId: string | null;
  launcher: { kind: string; id: string | null; name: string };
  approvalRequired: boolean;
  approvalDeadline: number | null;
  decision: { byId: string | null; byName: string; at: number; comment: string | null } | null;
  status: ResponseStatus;
  result: { summary: string; output?: Record<string, unknown> } | null;
  error: string | null;
  undoOf: string | null;
  undoneBy: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

const num = (v: number | null) => (v == null ? null : Number(v));

export function toResponseAction(r: ResponseActionRow): ResponseAction {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    launchId: r.launch_id,
    instanceId: r.instance_id,
    instanceName: r.instance_name,
    connectorType: r.connector_type,
    action: r.action,
    target: { kind: r.target_kind as ActionTarget['kind'], value: r.target_value, attributes: JSON.parse(r.target_attributes) },
    params: JSON.parse(r.params),
    alertId: r.alert_id,
    incidentId: r.incident_id,
    launcher: { kind: r.launcher_kind, id: r.launcher_id, name: r.launcher_name },
    approvalRequired: !!r.approval_required,
    approvalDeadline: num(r.approval_deadline),
    decision: r.decided_at != null ? { byId: r.decided_by_id, byName: r.decided_by_name ?? '', at: Number(r.decided_at), comment: r.decision_comment } : null,
    status: r.status as ResponseStatus,
    result: r.result ? JSON.parse(r.result) : null,
    error: r.error,
    undoOf: r.undo_of,
    // 'claim:…' marks an undo being launched (see ResponseService.undo): not an entry id yet.
    undoneBy: r.undone_by?.startsWith('claim:') ? null : r.undone_by,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
  };
}
