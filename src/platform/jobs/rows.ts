import type { Job, JobStatus } from './types.ts';

/** A jobs row as the database returns it. */
export interface JobRow {
  id: string;
  kind: string;
  tenant_id: string | null;
  payload: string;
  status: JobStatus;
  run_at: number | string;
  attempts: number;
  max_attempts: number;
  lease_until: number | string | null;
  locked_by: string | null;
  idempotency_key: string | null;
  last_error: string | null;
  result: string | null;
  created_at: number | string;
  updated_at: number | string;
  finished_at: number | string | null;
}

const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: number | string | null): number | null => (v == null ? null : num(v));

export function parseJson(text: string | null): unknown {
  return text == null ? null : JSON.parse(text);
}

/** JSON text for a payload or result; undefined becomes null so the column is always valid JSON. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    tenantId: row.tenant_id,
    payload: parseJson(row.payload),
    status: row.status,
    runAt: num(row.run_at),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    leaseUntil: numOrNull(row.lease_until),
    lockedBy: row.locked_by,
    idempotencyKey: row.idempotency_key,
    lastError: row.last_error,
    result: parseJson(row.result),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    finishedAt: numOrNull(row.finished_at),
  };
}

/** Error text kept in last_error: the message only (never a stack or a cause's payload), bounded. */
export function errorText(err: unknown): string {
  const message = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return message.length > 2000 ? `${message.slice(0, 2000)}…` : message;
}
