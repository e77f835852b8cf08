export function when(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function ago(v: string | number | null | undefined): string {
  if (!v) return '—';
  const s = Math.round((Date.now() - new Date(v).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export const SEVERITY_COLOR: Record<string, string> = { low: 'gray', medium: 'yellow', high: 'orange', critical: 'red' };
export const STATUS_COLOR: Record<string, string> = {
  new: 'blue', open: 'blue', hold: 'orange', inProgress: 'cyan', inIncident: 'grape', closed: 'gray',
  queued: 'gray', awaitingApproval: 'yellow', succeeded: 'green', failed: 'red', rejected: 'red', timedOut: 'orange', cancelled: 'gray',
  running: 'cyan', pending: 'gray', skipped: 'gray', approved: 'green',
};
export const ZONE_COLOR: Record<string, string> = { red: 'red', orange: 'orange', yellow: 'yellow', green: 'green', grey: 'gray', gray: 'gray' };

export function words(camel: string): string {
  const s = camel.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function json(v: unknown): string {
  return v === undefined ? '' : JSON.stringify(v, null, 2);
}
