import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';

/**
 * A simulator of the KATA/KEDR Central Node APIs xdrhub calls (reference §4.2, §4.4), over HTTPS
 * that requires a client certificate:
 *   GET    /kata/response_api/v1/<xdrId>/sensors?ip=<ip>|hostname=<name>
 *   GET    /kata/response_api/v1/<xdrId>/settings?sensor_id=<id>&settings_type=network_isolation|prevention
 *   POST   (same)  body {"settings": {...}}   (prevention: the object list is replaced)
 *   DELETE (same)
 *   POST   /kata/response_api/v1/<xdrId>/tasks/<taskId>?sensor_id=<id>&task_type=run_process
 *   GET    /kata/scanner/v1/sensors/<xdrId>/detects?detect_type=am,sb&limit=<1..10000>&token=<t>
 *
 * TLS: a connection without a client certificate, or with one that is expired or not for TLS
 * client authentication, is closed right after the handshake (what a TLS 1.3 client sees as a
 * refused certificate). Approval: like KATA's "External systems" section, the first request of an
 * (XDR ID, certificate fingerprint) pair creates an authorization request; until an administrator
 * accepts it every call answers 401, and 403 once rejected [I: KATA documents 401 "authorization
 * required"; 403 for a rejected request is this simulator's choice, see docs/connectors/kata.md].
 * Statuses otherwise as documented: 200, 400 incorrect parameters, 404 host not found, 429, 5xx.
 * Used by tests, benchmarks and the demo; never imported by src/.
 */

export type ApprovalState = 'pending' | 'approved' | 'rejected';

export interface SimSensor {
  sensorId: string;
  hostName: string;
  ip: string;
  os?: string;
}

export interface AuthorizationRequest {
  xdrId: string;
  fingerprint: string;
  subject: string;
  state: ApprovalState;
  firstSeenAt: number;
}

export interface SimDetect {
  alertID: number;
  eventTimeStamp: string;
  detectTimestamp: string;
  importance: 'high' | 'medium' | 'low';
  objectSource: 'web' | 'mail' | 'endpoint' | 'external' | 'dns';
  technology: 'am' | 'sb' | 'yara' | 'url_reputation' | 'ids' | 'taa';
  objectType: 'file' | 'URL' | 'host';
  object: Record<string, unknown>;
  detection: Record<string, unknown>;
  details: Record<string, unknown>;
}

export interface SimRequest {
  method: string;
  path: string;
  query: string;
  xdrId: string | null;
  fingerprint: string;
  status: number;
}

export interface KataSimulatorOptions {
  /** The Central Node's server certificate and key (PEM). */
  tls: { cert: string; key: string };
  /** 127.0.0.1 (default) or ::1. */
  host?: string;
  port?: number;
  latencyMs?: number;
  sensors?: SimSensor[];
  /** Accept every new authorization request at once (benchmarks, demo). */
  autoApprove?: boolean;
}

export interface KataSimulator {
  url: string;
  port: number;
  /** Authorization requests, as the KATA administrator sees them. */
  authorizations(): AuthorizationRequest[];
  /** The administrator's Accept / Reject; throws when no such request exists. */
  decide(xdrId: string, fingerprint: string, decision: 'approved' | 'rejected'): void;
  sensors: SimSensor[];
  isolation(sensorId: string): { autoTurnoffTimeoutInSec: number; excludedRules: unknown[] } | null;
  prevention(sensorId: string): { file: Record<string, string> }[];
  tasks: { taskId: string; sensorId: string; task: Record<string, unknown> }[];
  addDetect(detect: Partial<SimDetect>): SimDetect;
  requests: SimRequest[];
  /** TLS connections accepted (handshakes completed). */
  connections(): number;
  setLatency(ms: number): void;
  /** The next `n` API requests answer `status` (after TLS, before approval), e.g. 503 or 429. */
  failNext(status: number, n?: number): void;
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MD5 = /^[0-9a-f]{32}$/i;
const SHA256 = /^[0-9a-f]{64}$/i;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const MAX_ISOLATION_SEC = 9999 * 3600;
const TECHNOLOGIES = new Set(['am', 'sb', 'yara', 'url_reputation', 'ids', 'taa']);

export async function startKataSimulator(options: KataSimulatorOptions): Promise<KataSimulator> {
  let latencyMs = options.latencyMs ?? 0;
  let failures: { status: number; left: number } | null = null;
  let handshakes = 0;
  const sensors: SimSensor[] = options.sensors ?? [];
  const approvals = new Map<string, AuthorizationRequest>();
  const isolations = new Map<string, { autoTurnoffTimeoutInSec: number; excludedRules: unknown[]; until: number }>();
  const preventions = new Map<string, { file: Record<string, string> }[]>();
  const tasks: KataSimulator['tasks'] = [];
  const detects: SimDetect[] = [];
  const requests: SimRequest[] = [];

  const server = https.createServer({ cert: options.tls.cert, key: options.tls.key, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket;
    // The TLS gate below may already have closed this connection.
    const peer = socket.destroyed ? null : socket.getPeerCertificate();
    if (!peer?.raw) return void res.destroy();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = req.url ?? '/';
      const qi = raw.indexOf('?');
      const path = qi < 0 ? raw : raw.slice(0, qi);
      const query = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
      const fingerprint = peer.fingerprint256 ?? '';
      const answer = (status: number, body: unknown, xdrId: string | null) => {
        requests.push({ method: req.method ?? '', path, query: qi < 0 ? '' : raw.slice(qi + 1), xdrId, fingerprint, status });
        const send = () => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body === undefined ? '' : JSON.stringify(body));
        };
        if (latencyMs > 0) setTimeout(send, latencyMs);
        else send();
      };
      let text = Buffer.concat(chunks).toString('utf8');
      let body: any = null;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          return answer(400, { error: 'Bad Request' }, null);
        }
      }
      text = '';
      const m = /^\/kata\/(?:response_api\/v1\/([^/]+)(\/.*)$|scanner\/v1\/sensors\/([^/]+)(\/detects)$)/.exec(path);
      if (!m) return answer(404, { error: 'Not Found' }, null);
      const xdrId = decodeURIComponent(m[1] ?? m[3]);
      const route = m[2] ?? m[4];
      if (failures && failures.left > 0) {
        failures.left--;
        return answer(failures.status, { error: 'Simulated failure' }, xdrId);
      }
      if (!UUID.test(xdrId)) return answer(400, { error: 'Bad Request: the external system ID must be a UUID' }, xdrId);
      const key = `${xdrId.toLowerCase()}|${fingerprint}`;
      let auth = approvals.get(key);
      if (!auth) {
        auth = { xdrId: xdrId.toLowerCase(), fingerprint, subject: String(peer.subject?.CN ?? ''), state: options.autoApprove ? 'approved' : 'pending', firstSeenAt: Date.now() };
        approvals.set(key, auth);
      }
      if (auth.state === 'pending') return answer(401, { error: 'Unauthorized: the authorization request awaits approval' }, xdrId);
      if (auth.state === 'rejected') return answer(403, { error: 'Forbidden: the authorization request was rejected' }, xdrId);
      const [status, out] = handle(req.method ?? 'GET', route, query, body);
      answer(status, out, xdrId);
    });
  });

  // The TLS gate: no certificate, an expired one, or one not meant for client authentication.
  server.on('secureConnection', (socket: TLSSocket) => {
    handshakes++;
    const peer = socket.getPeerCertificate();
    if (!peer || !peer.raw) return void socket.destroy();
    try {
      const cert = new X509Certificate(peer.raw);
      const now = Date.now();
      const eku = cert.keyUsage ?? [];
      if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now || (eku.length > 0 && !eku.includes(CLIENT_AUTH))) socket.destroy();
    } catch {
      socket.destroy();
    }
  });

  function sensorById(id: string | null): SimSensor | undefined {
    return id ? sensors.find((s) => s.sensorId === id) : undefined;
  }

  function handle(method: string, route: string, q: URLSearchParams, body: any): [number, unknown] {
    if (route === '/sensors' && method === 'GET') {
      const ip = q.get('ip');
      const name = q.get('hostname');
      const found = sensors.filter((s) => (ip ? s.ip === ip : true) && (name ? s.hostName.toLowerCase() === name.toLowerCase() : true));
      return [200, { sensors: found.map((s) => ({ sensorId: s.sensorId, hostName: s.hostName, ip: s.ip, os: s.os ?? 'Windows' })) }];
    }
    if (route === '/settings') {
      const type = q.get('settings_type');
      const id = q.get('sensor_id');
      if (type !== 'network_isolation' && type !== 'prevention') return [400, { error: 'Bad Request: settings_type' }];
      if (!id) return [400, { error: 'Bad Request: sensor_id' }];
      const all = id === 'all' && type === 'prevention';
      if (!all && !sensorById(id)) return [404, { error: 'Not Found' }];
      if (type === 'network_isolation') return isolationRoute(method, id, body);
      return preventionRoute(method, id, body);
    }
    const task = /^\/tasks\/([^/]+)$/.exec(route);
    if (task && method === 'POST') {
      if (q.get('task_type') !== 'run_process') return [400, { error: 'Bad Request: task_type' }];
      const sensor = sensorById(q.get('sensor_id'));
      if (!sensor) return [404, { error: 'Not Found' }];
      const t = body?.task;
      if (!UUID.test(task[1]) || !t || typeof t.execCommand !== 'string' || !t.execCommand || t.schedule?.startNow !== true) return [400, { error: 'Bad Request' }];
      if (tasks.some((x) => x.taskId === task[1])) return [400, { error: 'Bad Request: the task exists' }];
      tasks.push({ taskId: task[1], sensorId: sensor.sensorId, task: t });
      return [200, {}];
    }
    if (route === '/detects' && method === 'GET') return detectsRoute(q);
    return [404, { error: 'Not Found' }];
  }

  function isolationRoute(method: string, id: string, body: any): [number, unknown] {
    const current = isolations.get(id);
    if (current && current.until <= Date.now()) isolations.delete(id);
    if (method === 'GET') {
      const on = isolations.get(id);
      return on ? [200, [{ autoTurnoffTimeoutInSec: on.autoTurnoffTimeoutInSec, excludedRules: on.excludedRules }]] : [404, { error: 'Not Found' }];
    }
    if (method === 'POST') {
      const s = body?.settings;
      const sec = s?.autoTurnoffTimeoutInSec;
      if (!Number.isInteger(sec) || sec < 3600 || sec > MAX_ISOLATION_SEC || (s.excludedRules !== undefined && !Array.isArray(s.excludedRules))) return [400, { error: 'Bad Request: settings' }];
      // Posting again overwrites the parameters (XDR: "parameters are overwritten with new values").
      isolations.set(id, { autoTurnoffTimeoutInSec: sec, excludedRules: s.excludedRules ?? [], until: Date.now() + sec * 1000 });
      return [200, {}];
    }
    if (method === 'DELETE') {
      isolations.delete(id);
      return [200, {}];
    }
    return [400, { error: 'Bad Request' }];
  }

  function preventionRoute(method: string, id: string, body: any): [number, unknown] {
    if (method === 'GET') {
      const list = preventions.get(id);
      return list?.length ? [200, [{ objects: list }]] : [404, { error: 'Not Found' }];
    }
    if (method === 'POST') {
      const objects = body?.settings?.objects;
      if (!Array.isArray(objects) || objects.length > 10_000) return [400, { error: 'Bad Request: settings.objects' }];
      for (const o of objects) {
        const f = o?.file;
        if (!f || (f.md5 === undefined && f.sha256 === undefined) || (f.md5 !== undefined && !MD5.test(f.md5)) || (f.sha256 !== undefined && !SHA256.test(f.sha256))) return [400, { error: 'Bad Request: file hash' }];
      }
      // The whole list is replaced: that is why clients read, merge and write back.
      preventions.set(id, objects.map((o: any) => ({ file: { ...o.file } })));
      return [200, {}];
    }
    if (method === 'DELETE') {
      preventions.delete(id);
      return [200, {}];
    }
    return [400, { error: 'Bad Request' }];
  }

  function detectsRoute(q: URLSearchParams): [number, unknown] {
    const limit = q.has('limit') ? Number(q.get('limit')) : 1000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return [400, { error: 'Bad Request: limit' }];
    const types = q.get('detect_type')?.split(',').filter(Boolean) ?? [];
    if (types.some((t) => !TECHNOLOGIES.has(t))) return [400, { error: 'Bad Request: detect_type' }];
    let offset = 0;
    const token = q.get('token');
    if (token) {
      // Like the documented example token 7b226f6666736574223a20307d: hex of {"offset": n}.
      try {
        offset = JSON.parse(Buffer.from(token, 'hex').toString('utf8')).offset;
      } catch {
        return [400, { error: 'Bad Request: token' }];
      }
      if (!Number.isInteger(offset) || offset < 0) return [400, { error: 'Bad Request: token' }];
    }
    const out: SimDetect[] = [];
    let i = offset;
    for (; i < detects.length && out.length < limit; i++) if (types.length === 0 || types.includes(detects[i].technology)) out.push(detects[i]);
    return [200, { detects: out, token: Buffer.from(JSON.stringify({ offset: i })).toString('hex') }];
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  let nextAlert = 1000;
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    authorizations: () => [...approvals.values()].map((a) => ({ ...a })),
    decide(xdrId, fingerprint, decision) {
      const a = approvals.get(`${xdrId.toLowerCase()}|${fingerprint.toUpperCase()}`);
      if (!a) throw new Error('no such authorization request');
      a.state = decision;
    },
    sensors,
    isolation(id) {
      const on = isolations.get(id);
      return on && on.until > Date.now() ? { autoTurnoffTimeoutInSec: on.autoTurnoffTimeoutInSec, excludedRules: on.excludedRules } : null;
    },
    prevention: (id) => (preventions.get(id) ?? []).map((o) => ({ file: { ...o.file } })),
    tasks,
    addDetect(d) {
      const now = new Date().toISOString();
      const detect: SimDetect = {
        alertID: d.alertID ?? nextAlert++,
        eventTimeStamp: d.eventTimeStamp ?? now,
        detectTimestamp: d.detectTimestamp ?? now,
        importance: d.importance ?? 'medium',
        objectSource: d.objectSource ?? 'endpoint',
        technology: d.technology ?? 'am',
        objectType: d.objectType ?? 'file',
        object: d.object ?? {},
        detection: d.detection ?? {},
        details: d.details ?? {},
      };
      detects.push(detect);
      return detect;
    },
    requests,
    connections: () => handshakes,
    setLatency(ms) {
      latencyMs = ms;
    },
    failNext(status, n = 1) {
      failures = { status, left: n };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
