import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * A simulator of the Check Point Management Web API (reference §10.2): POST /web_api/<command>
 * with JSON; `login` → sid (X-chkp-sid on later calls); changes are private to the session until
 * `publish` (a task polled with `show-task`); `discard` drops them; errors are
 * `{code, message}` with a 4xx/5xx status. Only the commands xdrhub uses are implemented.
 * Used by tests, benchmarks and the demo; never imported by src/.
 */
export interface CheckpointSimulatorOptions {
  /** Serve HTTPS with this certificate (else HTTP). */
  tls?: { cert: string; key: string };
  users?: Record<string, string>;
  apiKeys?: string[];
  latencyMs?: number;
  /** How long a publish or install-policy task stays "in progress". */
  taskMs?: number;
}

type Obj = { uid: string; type: 'host' | 'group' | 'application-site' | 'access-rule'; name: string; [k: string]: unknown };
type Store = Map<string, Obj>;

interface Session {
  sid: string;
  user: string;
  /** The session's private copy of the database, made on its first write. */
  draft: Store | null;
  changes: number;
}

interface Task {
  id: string;
  kind: 'publish' | 'install-policy';
  doneAt: number;
  fail: boolean;
}

export interface Failure {
  status: number;
  code: string;
  message: string;
}

export interface CheckpointSimulator {
  url: string;
  /** The published database, by type. */
  state: {
    hosts(): Obj[];
    group(name: string): { members: string[] } | null;
    site(name: string): { urls: string[] } | null;
    rule(name: string): Obj | null;
    readonly publishes: number;
    readonly discards: number;
    readonly installs: number;
    readonly openSessions: number;
  };
  /** Requests per command. */
  requests: Record<string, number>;
  /** Every request body as parsed, in order (passwords replaced). */
  log: { command: string; body: Record<string, unknown> }[];
  expireSessions(): void;
  /** The next call of `command` fails with this answer; 'task' makes its task fail instead. */
  failNext(command: string, failure?: Failure | 'task'): void;
  /** Session ids expire after this many more authenticated calls (once). */
  expireAfter(calls: number): void;
  /** add-host for this address is refused (400 err_validation_failed) until reset. */
  refuseValue(ip: string): void;
  setLatency(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

const err = (status: number, code: string, message: string): Failure => ({ status, code, message });
const NOT_FOUND = (name: unknown) => err(404, 'generic_err_object_not_found', `Requested object [${String(name)}] not found`);

export async function startCheckpointSimulator(options: CheckpointSimulatorOptions = {}): Promise<CheckpointSimulator> {
  const users = options.users ?? { admin: 'admin-password' };
  const apiKeys = new Set(options.apiKeys ?? []);
  let latencyMs = options.latencyMs ?? 0;
  const taskMs = options.taskMs ?? 20;
  let published: Store = new Map();
  const sessions = new Map<string, Session>();
  const tasks = new Map<string, Task>();
  const requests: Record<string, number> = {};
  const log: CheckpointSimulator['log'] = [];
  const failures = new Map<string, Failure | 'task'>();
  const refused = new Set<string>();
  let expireIn: number | null = null;
  let publishes = 0;
  let discards = 0;
  let installs = 0;

  const clone = (s: Store): Store => new Map([...s].map(([k, v]) => [k, structuredClone(v)]));
  const view = (s: Session) => s.draft ?? published;
  const write = (s: Session) => {
    s.changes++;
    return (s.draft ??= clone(published));
  };
  const str = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || v.length === 0) throw err(400, 'generic_err_invalid_parameter', `Invalid parameter for [${field}]`);
    return v;
  };
  const named = (store: Store, name: unknown, type: Obj['type']): Obj => {
    const o = store.get(String(name));
    if (!o || o.type !== type) throw NOT_FOUND(name);
    return o;
  };
  const addObj = (store: Store, o: { type: Obj['type']; name: string; [k: string]: unknown }): Obj => {
    if (store.has(o.name)) throw err(400, 'err_validation_failed', `Validation failed with 1 error:\nMore than one object named '${o.name}' exists.`);
    const full = { uid: randomUUID(), ...o } as Obj;
    store.set(o.name, full);
    return full;
  };
  const applyAddRemove = (current: string[], change: unknown, check: (v: string) => void): string[] => {
    const set = new Set(current);
    if (Array.isArray(change)) return [...new Set(change.map(String))];
    if (change && typeof change === 'object') {
      const c = change as { add?: unknown; remove?: unknown };
      for (const v of ([] as unknown[]).concat(c.add ?? [])) {
        check(String(v));
        set.add(String(v));
      }
      for (const v of ([] as unknown[]).concat(c.remove ?? [])) set.delete(String(v));
    }
    return [...set];
  };

  function handle(command: string, body: Record<string, unknown>, sid: string | undefined): { status: number; json: unknown } {
    if (command === 'login') {
      const ok = typeof body['api-key'] === 'string' ? apiKeys.has(body['api-key']) : typeof body.user === 'string' && users[body.user] !== undefined && users[body.user] === body.password;
      if (!ok) throw err(400, 'err_login_failed', 'Authentication to server failed.');
      const s: Session = { sid: randomUUID().replace(/-/g, ''), user: String(body.user ?? 'api-key'), draft: null, changes: 0 };
      sessions.set(s.sid, s);
      return { status: 200, json: { sid: s.sid, uid: randomUUID(), url: 'https://127.0.0.1/web_api', 'session-timeout': body['session-timeout'] ?? 600, 'api-server-version': '1.9.1', 'read-only': false } };
    }
    const s = sid ? sessions.get(sid) : undefined;
    if (!s) throw err(400, 'generic_err_wrong_session_id', 'Wrong session id [' + (sid ?? '') + ']. Session may be expired. Please check session id and resubmit the request');
    if (expireIn !== null && --expireIn < 0) {
      expireIn = null;
      sessions.clear();
      throw err(400, 'generic_err_wrong_session_id', 'Wrong session id. Session may be expired. Please check session id and resubmit the request');
    }
    switch (command) {
      case 'logout':
        sessions.delete(s.sid);
        return { status: 200, json: { message: 'OK' } };
      case 'discard': {
        discards++;
        const discarded = s.changes;
        s.draft = null;
        s.changes = 0;
        return { status: 200, json: { 'number-of-discarded-changes': discarded, message: 'OK' } };
      }
      case 'publish':
      case 'install-policy': {
        const fail = failures.get(`${command}:task`) !== undefined;
        failures.delete(`${command}:task`);
        if (command === 'publish') {
          publishes++;
          // A failed publish leaves the changes in the session, as the real server does.
          if (s.draft && !fail) {
            published = s.draft;
            s.draft = null;
            s.changes = 0;
          }
        } else {
          installs++;
          str(body['policy-package'], 'policy-package');
        }
        const t: Task = { id: randomUUID(), kind: command, doneAt: Date.now() + taskMs, fail };
        tasks.set(t.id, t);
        return { status: 200, json: { 'task-id': t.id } };
      }
      case 'show-task': {
        const t = tasks.get(String(body['task-id']));
        if (!t) throw NOT_FOUND(body['task-id']);
        const done = Date.now() >= t.doneAt;
        const status = !done ? 'in progress' : t.fail ? 'failed' : 'succeeded';
        return { status: 200, json: { tasks: [{ 'task-id': t.id, 'task-name': t.kind, status, 'progress-percentage': done ? 100 : 50, 'task-details': t.fail && done ? [{ statusDescription: `${t.kind} failed: simulated failure` }] : [] }] } };
      }
      case 'show-group': {
        const g = named(view(s), str(body.name, 'name'), 'group');
        return { status: 200, json: { ...g, members: (g.members as string[]).map((m) => ({ name: m, type: 'host' })) } };
      }
      case 'add-group':
        return { status: 200, json: addObj(write(s), { type: 'group', name: str(body.name, 'name'), members: [], comments: body.comments ?? '' }) };
      case 'set-group': {
        const store = write(s);
        const g = named(store, str(body.name, 'name'), 'group');
        g.members = applyAddRemove(g.members as string[], body.members, (m) => void named(store, m, 'host'));
        return { status: 200, json: g };
      }
      case 'add-host': {
        const ip = str(body['ip-address'], 'ip-address');
        if (!isIP(ip)) throw err(400, 'generic_err_invalid_parameter', `Invalid parameter for [ip-address]. Invalid value`);
        if (refused.has(ip)) throw err(400, 'err_validation_failed', `Validation failed with 1 error: address ${ip} is reserved by another object`);
        return { status: 200, json: addObj(write(s), { type: 'host', name: str(body.name, 'name'), 'ip-address': ip, comments: body.comments ?? '' }) };
      }
      case 'show-host':
        return { status: 200, json: named(view(s), body.name, 'host') };
      case 'delete-host': {
        const store = write(s);
        const h = named(store, str(body.name, 'name'), 'host');
        for (const o of store.values()) if (o.type === 'group' && (o.members as string[]).includes(h.name)) throw err(409, 'err_validation_failed', `Validation failed: object is used by group ${o.name}`);
        store.delete(h.name);
        return { status: 200, json: { message: 'OK' } };
      }
      case 'show-application-site':
        return { status: 200, json: named(view(s), str(body.name, 'name'), 'application-site') };
      case 'add-application-site': {
        const urls = Array.isArray(body['url-list']) ? body['url-list'].map(String) : [];
        str(body['primary-category'], 'primary-category');
        return { status: 200, json: addObj(write(s), { type: 'application-site', name: str(body.name, 'name'), 'url-list': urls, 'primary-category': body['primary-category'] }) };
      }
      case 'set-application-site': {
        const site = named(write(s), str(body.name, 'name'), 'application-site');
        site['url-list'] = applyAddRemove(site['url-list'] as string[], body['url-list'], () => {});
        return { status: 200, json: site };
      }
      case 'show-access-rule': {
        const r = view(s).get(`rule:${str(body.layer, 'layer')}:${str(body.name, 'name')}`);
        if (!r) throw NOT_FOUND(body.name);
        return { status: 200, json: r };
      }
      case 'add-access-rule': {
        const store = write(s);
        const layer = str(body.layer, 'layer');
        const name = str(body.name, 'name');
        for (const ref of [...([] as unknown[]).concat(body.destination ?? []), ...([] as unknown[]).concat(body.service ?? [])]) {
          if (!store.has(String(ref))) throw NOT_FOUND(ref);
        }
        const rule = { uid: randomUUID(), type: 'access-rule' as const, name, layer, action: body.action, destination: body.destination ?? ['Any'], service: body.service ?? ['Any'], position: body.position };
        store.set(`rule:${layer}:${name}`, rule);
        return { status: 200, json: rule };
      }
      default:
        throw err(404, 'generic_err_command_not_found', `Unknown command "${command}"`);
    }
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const m = /^\/web_api\/(?:v[\d.]+\/)?([a-z-]+)$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !m) return send(404, { code: 'generic_err_command_not_found', message: 'Not found' });
      const command = m[1];
      requests[command] = (requests[command] ?? 0) + 1;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return send(400, { code: 'generic_err_invalid_syntax', message: 'Invalid JSON' });
      }
      log.push({ command, body: 'password' in body ? { ...body, password: '***' } : body });
      const injected = failures.get(command);
      if (injected && injected !== 'task') {
        failures.delete(command);
        return send(injected.status, { code: injected.code, message: injected.message });
      }
      if (injected === 'task') {
        failures.delete(command);
        failures.set(`${command}:task`, 'task');
      }
      try {
        const out = handle(command, body, req.headers['x-chkp-sid'] as string | undefined);
        send(out.status, out.json);
      } catch (e) {
        const f = e as Failure;
        if (typeof f?.status === 'number') send(f.status, { code: f.code, message: f.message });
        else send(500, { code: 'generic_internal_error', message: String((e as Error)?.message ?? e) });
      }
    });
  };

  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const objects = (type: Obj['type']) => [...published.values()].filter((o) => o.type === type);

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    state: {
      hosts: () => objects('host'),
      group: (name) => {
        const g = published.get(name);
        return g?.type === 'group' ? { members: [...(g.members as string[])] } : null;
      },
      site: (name) => {
        const o = published.get(name);
        return o?.type === 'application-site' ? { urls: [...(o['url-list'] as string[])] } : null;
      },
      rule: (name) => objects('access-rule').find((r) => r.name === name) ?? null,
      get publishes() {
        return publishes;
      },
      get discards() {
        return discards;
      },
      get installs() {
        return installs;
      },
      get openSessions() {
        return sessions.size;
      },
    },
    requests,
    log,
    expireSessions: () => sessions.clear(),
    failNext: (command, failure = err(500, 'generic_internal_error', 'simulated failure')) => void failures.set(command, failure),
    expireAfter: (calls) => void (expireIn = calls),
    refuseValue: (ip) => void refused.add(ip),
    setLatency: (ms) => void (latencyMs = ms),
    reset: () => {
      for (const k of Object.keys(requests)) delete requests[k];
      log.length = 0;
      refused.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
