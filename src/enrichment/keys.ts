import { createHash } from 'node:crypto';

/**
 * The credential fingerprint: a hash of the token, never the token. Replacing the token changes
 * it, so earlier cache rows, usage counts and quota state no longer apply to the new one.
 */
export function credentialFingerprint(token: string): string {
  return createHash('sha256').update(`xdrhub-ti-credential\0${token}`).digest('hex').slice(0, 32);
}

/**
 * The cache key. The tenant is part of it (decided, docs/enrichment.md): a child tenant that
 * inherited the parent's token has its own cache, so one tenant's lookups never show up in
 * another's and purging a tenant removes exactly its rows.
 */
export function cacheKey(tenantId: string, service: string, credential: string, type: string, value: string): string {
  return createHash('sha256').update(JSON.stringify([tenantId, service, credential, type, value])).digest('hex');
}

/** Quotas count per UTC day. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export function nextUtcMidnight(at: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}
