import ipaddr from 'ipaddr.js';
import type { AlertInput, AssetInput, ObservableInput, Severity } from '../../alerts/types.ts';
import { normalizeObservable, type ObservableType } from '../../alerts/observables.ts';
import { kataCall, resolveTrust, type KataContext } from './client.ts';
import { parseHost } from './settings.ts';

/**
 * KATA alerts into xdrhub alerts (reference §4.4): the detects API of the Central Node, polled
 * with its cursor token so each call returns only alerts not yet delivered. Field names follow the
 * documented "Scope of transmitted data" (alertID, eventTimeStamp, detectTimestamp, importance,
 * objectSource, technology, objectType, object, detection, details); the members of object,
 * detection and details are a reconstruction [I], see docs/connectors/kata.md.
 */
export interface KataDetect {
  alertID: number | string;
  eventTimeStamp?: string;
  detectTimestamp?: string;
  importance?: string;
  objectSource?: string;
  technology?: string;
  objectType?: string;
  object?: Record<string, unknown>;
  detection?: Record<string, unknown>;
  details?: Record<string, unknown>;
}

const TECHNOLOGY: Record<string, string> = {
  am: 'Anti-Malware Engine',
  sb: 'Sandbox',
  yara: 'YARA',
  url_reputation: 'URL Reputation',
  ids: 'Intrusion Detection System',
  taa: 'Targeted Attack Analyzer',
};
const SEVERITY: Record<string, Severity> = { high: 'high', medium: 'medium', low: 'low' };

export interface ImportPage {
  alerts: AlertInput[];
  /** The token to send next time; unchanged when KATA gave none. */
  nextCursor: string | null;
  /** Detects received (some may have been unusable and skipped). */
  received: number;
}

/** One poll of the detects API from `cursor` (null: from the beginning). */
export async function importDetects(ctx: KataContext, cursor: string | null): Promise<ImportPage> {
  const trust = await resolveTrust(ctx);
  const res = await kataCall<{ detects?: KataDetect[]; token?: string }>(ctx, trust, {
    api: 'scanner',
    method: 'GET',
    path: '/detects',
    query: { limit: ctx.config.import?.limit ?? 1000, token: cursor ?? undefined },
  });
  const detects = Array.isArray(res.body?.detects) ? res.body.detects : [];
  const origin = `${parseHost(ctx.config.host).urlHost}:${ctx.config.port}`;
  const alerts: AlertInput[] = [];
  for (const d of detects) {
    if (d === null || typeof d !== 'object' || (typeof d.alertID !== 'number' && typeof d.alertID !== 'string')) continue;
    alerts.push(detectToAlert(d, origin));
  }
  const token = typeof res.body?.token === 'string' && res.body.token ? res.body.token : cursor;
  return { alerts, nextCursor: token, received: detects.length };
}

/** One KATA alert as an xdrhub alert input; `origin` (host:port) keeps alert ids of two Central Nodes apart. */
export function detectToAlert(d: KataDetect, origin: string): AlertInput {
  const object = d.object ?? {};
  const detection = d.detection ?? {};
  const details = d.details ?? {};
  const technology = TECHNOLOGY[String(d.technology)] ?? String(d.technology ?? 'unknown technology');
  const detectionName = str(detection.name) ?? str(detection.detectName) ?? str(detection.verdict);
  const what = str(object.fileName) ?? str(object.url) ?? str(object.name) ?? str(object.md5) ?? 'object';
  const observables: ObservableInput[] = [];
  const add = (type: ObservableType, value: unknown) => {
    const v = str(value);
    if (!v) return;
    try {
      observables.push({ type, value: normalizeObservable(type, v) });
    } catch {
      // A malformed value from the product is dropped rather than losing the whole alert.
    }
  };
  add('md5', object.md5);
  add('sha256', object.sha256);
  add('md5', object.detectedMd5);
  add('url', object.url);
  for (const domain of Array.isArray(object.domains) ? object.domains : []) add('domain', domain);
  if (d.objectType === 'host') add('domain', object.name);
  add('filePath', object.filePath);
  add('ip', details.remoteIp);
  const assets: AssetInput[] = [];
  const hostName = str(details.hostName);
  const ip = str(details.ip);
  if (hostName || ip) {
    add('hostName', hostName);
    const sensorId = str(details.sensorId);
    assets.push({ kind: 'host', name: hostName ?? ip!, role: 'victim', ips: ip && ipaddr.isValid(ip) ? [ip] : [], ...(str(details.os) ? { os: str(details.os) } : {}), ...(sensorId ? { agentIds: { kata: sensorId } } : {}) });
  }
  const userName = str(details.userName);
  if (userName) assets.push({ kind: 'account', login: userName, role: 'victim' });
  const seen = new Set<string>();
  return {
    title: `KATA ${technology}: ${detectionName ?? 'detection'} in ${what}`.slice(0, 500),
    description: `Detected by ${technology} (source: ${d.objectSource ?? 'unknown'}, object type: ${d.objectType ?? 'unknown'}) on KATA ${origin}, alert ${d.alertID}.`,
    severity: SEVERITY[String(d.importance)] ?? 'medium',
    source: 'kata',
    sourceId: `${origin}/${d.alertID}`,
    rules: [detectionName, `kata:${d.technology ?? 'unknown'}`].filter((r): r is string => !!r),
    firstEventAt: iso(d.eventTimeStamp),
    lastEventAt: iso(d.detectTimestamp) ?? iso(d.eventTimeStamp),
    observables: observables.filter((o) => !seen.has(`${o.type}|${o.value}`) && seen.add(`${o.type}|${o.value}`)),
    assets,
    events: [d],
    additionalData: { kata: { alertId: d.alertID, centralNode: origin, importance: d.importance, technology: d.technology, objectSource: d.objectSource, objectType: d.objectType } },
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function iso(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const t = new Date(v);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}
