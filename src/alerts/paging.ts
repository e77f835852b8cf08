/** Keyset pagination: the cursor is the last row's sort value and id, opaque to clients. */
export const SORTS = {
  '-createdAt': { column: 'created_at', desc: true },
  createdAt: { column: 'created_at', desc: false },
  '-updatedAt': { column: 'updated_at', desc: true },
  updatedAt: { column: 'updated_at', desc: false },
  '-severity': { column: 'severity_rank', desc: true },
  severity: { column: 'severity_rank', desc: false },
} as const;
export type SortKey = keyof typeof SORTS;
export const SORT_KEYS = Object.keys(SORTS) as SortKey[];

export function encodeCursor(v: number, id: string): string {
  return Buffer.from(JSON.stringify([v, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { v: number; id: string } | null {
  try {
    const [v, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof v === 'number' && typeof id === 'string' ? { v, id } : null;
  } catch {
    return null;
  }
}
