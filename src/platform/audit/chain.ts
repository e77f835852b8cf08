import { createHash } from 'node:crypto';
import type { AuditLogTable } from './migrations.ts';

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // undefined has no JSON form; null keeps "absent" and "empty" hashing alike on both dialects.
    return JSON.stringify(value === undefined ? null : value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

export type HashedFields = Omit<AuditLogTable, 'prev_hash' | 'hash'>;

/**
 * SHA-256 over the previous entry's hash and this entry's fields. Numbers are normalized
 * (PostgreSQL may hand bigints back as strings to other clients) so the hash does not depend on the driver.
 */
export function entryHash(prevHash: string, row: HashedFields): string {
  const fields = {
    seq: Number(row.seq),
    id: row.id,
    at: Number(row.at),
    actor_kind: row.actor_kind,
    actor_id: row.actor_id ?? null,
    actor_name: row.actor_name,
    tenant_id: row.tenant_id ?? null,
    action: row.action,
    target_kind: row.target_kind ?? null,
    target_id: row.target_id ?? null,
    outcome: row.outcome,
    details: row.details,
    ip: row.ip ?? null,
  };
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(fields)).digest('hex');
}
