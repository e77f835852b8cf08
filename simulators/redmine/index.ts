import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A simulator of Redmine's REST API (reference §9.2) for fast tests and the demo: API-key auth
 * (X-Redmine-API-Key or ?key=), projects, trackers, priorities, statuses, issues with custom
 * fields, journals, the issues.json filters xdrhub uses (project_id, status_id, issue_id,
 * subject=~, cf_N) and Redmine's error shapes (401 empty, 403, 404, 422 {"errors":[…]}).
 * The real server is exercised by src/integrations/redmine/redmine.real.test.ts.
 */
export interface RedmineSimulatorOptions {
  apiKeys?: string[];
  projects?: string[];
  latencyMs?: number;
  /** Answer 403 to every API call, as Redmine does with the REST API disabled. */
  restDisabled?: boolean;
}

export interface SimIssue {
  id: number;
  project: string;
  tracker: number;
  status: number;
  priority: number;
  subject: string;
  description: string;
  customFields: Record<number, string>;
  notes: string[];
}

export interface SimRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

const TRACKERS = [{ id: 1, name: 'Bug' }, { id: 2, name: 'Feature' }, { id: 3, name: 'Support' }];
const PRIORITIES = [{ id: 1, name: 'Low' }, { id: 2, name: 'Normal', is_default: true }, { id: 3, name: 'High' }, { id: 4, name: 'Urgent' }, { id: 5, name: 'Immediate' }];
const STATUSES = [
  { id: 1, name: 'New', is_closed: false },
  { id: 2, name: 'In Progress', is_closed: false },
  { id: 3, name: 'Resolved', is_closed: false },
  { id: 4, name: 'Feedback', is_closed: false },
  { id: 5, name: 'Closed', is_closed: true },
  { id: 6, name: 'Rejected', is_closed: true },
];
/** Custom fields the simulator knows: id 1 "xdrhub ID" (string, filterable). */
const CUSTOM_FIELDS = [{ id: 1, name: 'xdrhub ID' }];

export async function startRedmineSimulator(options: RedmineSimulatorOptions = {}) {
  const keys = new Set(options.apiKeys ?? ['0123456789abcdef0123456789abcdef01234567']);
  const state = { projects: new Set(options.projects ?? ['soc']), issues: new Map<number, SimIssue>(), nextId: 1, restDisabled: !!options.restDisabled };
  const requests: SimRequest[] = [];
  let latencyMs = options.latencyMs ?? 0;
  const faults: number[] = [];

  const issueJson = (i: SimIssue) => {
    const st = STATUSES.find((s) => s.id === i.status)!;
    return {
      id: i.id,
      project: { id: 1, name: i.project },
      tracker: TRACKERS.find((t) => t.id === i.tracker),
      status: st,
      priority: PRIORITIES.find((p) => p.id === i.priority),
      subject: i.subject,
      description: i.description,
      custom_fields: CUSTOM_FIELDS.map((f) => ({ id: f.id, name: f.name, value: i.customFields[f.id] ?? '' })),
    };
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any = null;
    const query = Object.fromEntries(url.searchParams);
    const entry: SimRequest = { method: req.method ?? '', path: url.pathname, query, body: null, status: 0 };
    requests.push(entry);
    const send = (status: number, json?: unknown) => {
      entry.status = status;
      const text = json === undefined ? '' : JSON.stringify(json);
      res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' });
      res.end(text);
    };
    if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
    if (faults.length) return send(faults.shift()!, { errors: ['injected fault'] });
    if (raw) {
      try {
        body = JSON.parse(raw);
        entry.body = body;
      } catch {
        return send(400);
      }
    }
    const key = (req.headers['x-redmine-api-key'] as string | undefined) ?? url.searchParams.get('key') ?? '';
    if (!keys.has(key)) return send(401);
    if (state.restDisabled) return send(403);
    const p = url.pathname;
    let m: RegExpExecArray | null;

    if (req.method === 'GET' && p === '/users/current.json') return send(200, { user: { id: 1, login: 'admin', admin: true } });
    if (req.method === 'GET' && p === '/trackers.json') return send(200, { trackers: TRACKERS });
    if (req.method === 'GET' && p === '/enumerations/issue_priorities.json') return send(200, { issue_priorities: PRIORITIES.map((x) => ({ is_default: false, active: true, ...x })) });
    if (req.method === 'GET' && p === '/issue_statuses.json') return send(200, { issue_statuses: STATUSES });
    if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\.json$/.exec(p))) {
      const id = decodeURIComponent(m[1]);
      return state.projects.has(id) ? send(200, { project: { id: 1, name: id, identifier: id } }) : send(404);
    }
    if (req.method === 'GET' && p === '/issues.json') {
      let list = [...state.issues.values()];
      if (query.project_id) list = list.filter((i) => i.project === query.project_id);
      if (!query.status_id || query.status_id === 'open') list = list.filter((i) => !STATUSES.find((s) => s.id === i.status)!.is_closed);
      else if (query.status_id === 'closed') list = list.filter((i) => STATUSES.find((s) => s.id === i.status)!.is_closed);
      else if (query.status_id !== '*') list = list.filter((i) => String(i.status) === query.status_id);
      if (query.issue_id) {
        const ids = new Set(query.issue_id.split(',').map(Number));
        list = list.filter((i) => ids.has(i.id));
      }
      if (query.subject?.startsWith('~')) list = list.filter((i) => i.subject.toLowerCase().includes(query.subject.slice(1).toLowerCase()));
      for (const [k, v] of Object.entries(query)) {
        const cf = /^cf_(\d+)$/.exec(k);
        if (cf) list = list.filter((i) => i.customFields[Number(cf[1])] === v);
      }
      const limit = Math.min(100, Number(query.limit ?? 25));
      const offset = Number(query.offset ?? 0);
      return send(200, { issues: list.slice(offset, offset + limit).map(issueJson), total_count: list.length, offset, limit });
    }
    if (req.method === 'POST' && p === '/issues.json') {
      const i = body?.issue ?? {};
      const errors: string[] = [];
      if (!state.projects.has(String(i.project_id))) errors.push('Project cannot be blank');
      if (typeof i.subject !== 'string' || !i.subject.trim()) errors.push('Subject cannot be blank');
      else if (i.subject.length > 255) errors.push('Subject is too long (maximum is 255 characters)');
      if (i.tracker_id !== undefined && !TRACKERS.some((t) => t.id === i.tracker_id)) errors.push('Tracker is not included in the list');
      if (i.priority_id !== undefined && !PRIORITIES.some((t) => t.id === i.priority_id)) errors.push('Priority cannot be blank');
      if (errors.length) return send(422, { errors });
      const issue: SimIssue = {
        id: state.nextId++,
        project: String(i.project_id),
        tracker: i.tracker_id ?? 1,
        status: 1,
        priority: i.priority_id ?? 2,
        subject: i.subject,
        description: i.description ?? '',
        customFields: Object.fromEntries((i.custom_fields ?? []).filter((f: any) => CUSTOM_FIELDS.some((c) => c.id === f.id)).map((f: any) => [f.id, String(f.value)])),
        notes: [],
      };
      state.issues.set(issue.id, issue);
      return send(201, { issue: issueJson(issue) });
    }
    if ((m = /^\/issues\/(\d+)\.json$/.exec(p))) {
      const issue = state.issues.get(Number(m[1]));
      if (!issue) return send(404);
      if (req.method === 'GET') return send(200, { issue: { ...issueJson(issue), journals: issue.notes.map((notes, n) => ({ id: n + 1, notes })) } });
      if (req.method === 'PUT') {
        const i = body?.issue ?? {};
        if (i.status_id !== undefined) {
          if (!STATUSES.some((s) => s.id === i.status_id)) return send(422, { errors: ['Status is not included in the list'] });
          issue.status = i.status_id;
        }
        if (typeof i.notes === 'string' && i.notes) issue.notes.push(i.notes);
        return send(204);
      }
    }
    return send(404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: [...keys][0],
    state,
    requests,
    /** Sets an issue's status by name, as a Redmine user would. */
    setStatus(issueId: number, name: string) {
      const st = STATUSES.find((s) => s.name === name);
      const issue = state.issues.get(issueId);
      if (!st || !issue) throw new Error(`no status ${name} or issue ${issueId}`);
      issue.status = st.id;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    /** The next `n` requests answer `status`. */
    failNext(status: number, n = 1) {
      for (let i = 0; i < n; i++) faults.push(status);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
export type RedmineSimulator = Awaited<ReturnType<typeof startRedmineSimulator>>;
