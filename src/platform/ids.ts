import { randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();
export const now = (): number => Date.now();
export const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
