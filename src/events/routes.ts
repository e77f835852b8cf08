// HTTP API of the events product: collectors, HTTP ingest, event search, retention setting and
// Sigma rule management. Registered in an encapsulated scope so the YAML and NDJSON body parsers
// apply to these routes only.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/server.ts';
import { errorResponses } from '../platform/http/server.ts';
import { AppError, invalidField } from '../platform/errors.ts';
import { iso } from '../platform/ids.ts';
import { SCHEMA } from './normalize/schema.ts';
import { roleGrants, type Role } from '../access/permissions.ts';
import { pathIds } from '../tenants/tenants.ts';
import { COLLECTOR_KINDS, FILE_START_POSITIONS, type Collector, type CollectorInput, type CollectorPatch } from './store/collectors.ts';
import type { CollectorView, EventsService } from './service.ts';
import type { DetectionRule } from './rules/store.ts';
import type { StoredEvent } from './store/events.ts';

const TenantParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }) });
const ItemParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }) });
const Any = Type.Record(Type.String(), Type.Unknown());
const Overrides = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ minLength: 1, maxLength: 100 }), { maxProperties: 1000 });
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const FileSettings = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 4096, description: 'Absolute path inside XDRHUB_FILE_COLLECTOR_DIRS' }),
    startAt: Type.Optional(Type.Union(FILE_START_POSITIONS.map((p) => Type.Literal(p)))),
  },
  { additionalProperties: false },
);
const MAX_YAML = 2 * 1024 * 1024;
const MAX_INGEST_ITEMS = 10_000;

const CollectorCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    kind: Type.Union(COLLECTOR_KINDS.map((k) => Type.Literal(k))),
    port: Type.Optional(Port),
    defaultSource: Type.String({ minLength: 1, maxLength: 100 }),
    sourceOverrides: Type.Optional(Overrides),
    enabled: Type.Optional(Type.Boolean()),
    tls: Type.Optional(Type.Object({ cert: Type.String({ minLength: 1, maxLength: 65_536 }), key: Type.String({ minLength: 1, maxLength: 65_536 }) }, { additionalProperties: false })),
    file: Type.Optional(FileSettings),
  },
  { additionalProperties: false },
);
const CollectorUpdate = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), port: Type.Optional(Port), defaultSource: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), sourceOverrides: Type.Optional(Overrides), enabled: Type.Optional(Type.Boolean()), file: Type.Optional(FileSettings) },
  { additionalProperties: false },
);
const EventsQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    /** Name:value; repeat for several (all must hold). */
    field: Type.Optional(Type.Union([Type.String({ minLength: 3, maxLength: 2000 }), Type.Array(Type.String({ minLength: 3, maxLength: 2000 }), { maxItems: 10 })])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

const collectorView = (c: CollectorView) => ({ ...c, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) });
const ruleView = (r: DetectionRule) => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) });
const eventView = (e: StoredEvent) => ({ ...e, time: iso(e.time), receivedAt: iso(e.receivedAt) });

function parseFieldFilters(field: string | string[] | undefined): Array<{ name: string; value: string }> {
  return ([] as string[]).concat(field ?? []).map((f) => {
    const at = f.indexOf(':');
    const name = f.slice(0, at);
    if (at < 1 || !Object.hasOwn(SCHEMA, name)) throw invalidField('field', `"${f}" must be Name:value with a normalized field name`);
    return { name, value: f.slice(at + 1) };
  });
}

/** JSON array, one JSON object, or JSON lines (each line handed to the normalizer as is). */
function ingestItems(body: unknown): unknown[] {
  let items: unknown[];
  if (typeof body === 'string') items = body.split(/\r?\n/).filter((l) => l.trim() !== '');
  else if (Array.isArray(body)) items = body;
  else if (body !== null && typeof body === 'object') items = [body];
  else throw invalidField('body', 'send a JSON array, a JSON object or JSON lines');
  if (items.length === 0) throw invalidField('body', 'no events in the request');
  if (items.length > MAX_INGEST_ITEMS) throw invalidField('body', `at most ${MAX_INGEST_ITEMS} events per request`);
  return items;
}

/**
 * A file collector reads the server's filesystem, which is the installation's business, not a
 * customer's: choosing its path takes integrations.write on the Root tenant (a Main administrator,
 * or a tenant/SOC administrator of Root), like the Root-only integration settings. Its events may
 * still belong to any tenant.
 */
function requireInstallationAdmin(request: { principal: { assignments: Array<{ tenantId: string; role: Role }> }; tenant: { path: string } }): void {
  const rootId = pathIds(request.tenant)[0];
  if (!request.principal.assignments.some((a) => a.tenantId === rootId && roleGrants(a.role, 'integrations.write'))) {
    throw new AppError(403, 'forbidden', 'file: a file collector reads the server\'s filesystem; only an administrator of the Root tenant (integrations.write on Root) can set its path', { field: 'file' });
  }
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

export function registerEventRoutes(root: HttpServer, events: EventsService): void {
  const ingestCollector = new WeakMap<object, Collector>();
  const read = { permission: 'integrations.read' as const };
  const write = { permission: 'integrations.write' as const };

  root.register(async (app: HttpServer) => {
    app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'], { parseAs: 'string', bodyLimit: MAX_YAML }, (_req, body, done) => done(null, body));
    app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    // ── collectors ───────────────────────────────────────────────────────────
    app.post(
      '/api/v1/tenants/:tenantId/collectors',
      {
        config: write,
        schema: { tags: ['events'], summary: 'Create a collector (syslog-udp/tcp/tls, http, file); an HTTP collector\'s ingest token is in the response once and never again. A file collector (file: {path, startAt}) needs integrations.write on the Root tenant and a path inside XDRHUB_FILE_COLLECTOR_DIRS', params: TenantParams, body: CollectorCreate, response: { 201: Any, ...errorResponses(400, 401, 403, 404) } },
      },
      async (request, reply) => {
        if (request.body.kind === 'file' || request.body.file !== undefined) requireInstallationAdmin(request);
        const res = await events.createCollector(request.tenant.id, request.body as CollectorInput);
        return reply.status(201).send({ collector: collectorView(res.collector), ...(res.token ? { token: res.token } : {}) });
      },
    );

    app.get(
      '/api/v1/tenants/:tenantId/collectors',
      { config: read, schema: { tags: ['events'], summary: 'Collectors with their metrics', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(Any) }), ...errorResponses(401, 403, 404) } } },
      async (request) => ({ items: (await events.listCollectors(request.tenant.id)).map(collectorView) }),
    );

    app.get(
      '/api/v1/tenants/:tenantId/collectors/:id',
      { config: read, schema: { tags: ['events'], summary: 'A collector with its metrics (EPS in/out, parse errors, drops, latency)', params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404) } } },
      async (request) => collectorView(await events.getCollector(request.tenant.id, request.params.id)),
    );

    app.patch(
      '/api/v1/tenants/:tenantId/collectors/:id',
      { config: write, schema: { tags: ['events'], summary: 'Rename, re-port, change the source selection, enable or disable a collector', params: ItemParams, body: CollectorUpdate, response: { 200: Any, ...errorResponses(400, 401, 403, 404) } } },
      async (request) => {
        if (request.body.file !== undefined) requireInstallationAdmin(request);
        return collectorView(await events.updateCollector(request.tenant.id, request.params.id, request.body as CollectorPatch));
      },
    );

    app.delete(
      '/api/v1/tenants/:tenantId/collectors/:id',
      { config: write, schema: { tags: ['events'], summary: 'Delete a collector (its stored events stay until retention)', params: ItemParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } },
      async (request, reply) => {
        await events.deleteCollector(request.tenant.id, request.params.id);
        return reply.status(204).send(null);
      },
    );

    // ── ingest ───────────────────────────────────────────────────────────────
    app.post(
      '/api/v1/ingest/:collectorId',
      {
        config: { public: true },
        // The token is checked before the body is read: a stranger gets 401, never a parse error.
        onRequest: async (request) => {
          const { collectorId } = request.params as { collectorId: string };
          ingestCollector.set(request, await events.authenticateIngest(collectorId, bearer(request.headers.authorization)));
        },
        schema: {
          tags: ['events'],
          summary: 'Send events to an HTTP collector (Authorization: Bearer <collector token>): JSON array, object or JSON lines. 202 once stored.',
          params: Type.Object({ collectorId: Type.String({ format: 'uuid' }) }),
          response: { 202: Type.Object({ accepted: Type.Integer(), stored: Type.Integer(), parseErrors: Type.Integer(), alerts: Type.Integer() }), ...errorResponses(400, 401) },
        },
      },
      async (request, reply) => {
        const collector = ingestCollector.get(request);
        if (!collector) throw new Error('ingest route reached without authentication');
        const res = await events.ingestHttp(collector, ingestItems(request.body), request.ip);
        return reply.status(202).send(res);
      },
    );

    // ── events ───────────────────────────────────────────────────────────────
    app.get(
      '/api/v1/tenants/:tenantId/events',
      { config: { permission: 'alerts.read' as const }, schema: { tags: ['events'], summary: 'Stored normalized events, newest first, by time range and field equality (field=Name:value)', params: TenantParams, querystring: EventsQuery, response: { 200: Type.Object({ items: Type.Array(Any), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 403, 404) } } },
      async (request) => {
        const q = request.query;
        const page = await events.search({ tenantId: request.tenant.id, from: q.from ? Date.parse(q.from) : undefined, to: q.to ? Date.parse(q.to) : undefined, fields: parseFieldFilters(q.field), limit: q.limit ?? 100, cursor: q.cursor });
        return { items: page.items.map(eventView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/api/v1/tenants/:tenantId/event-settings',
      { config: read, schema: { tags: ['events'], summary: 'Event retention of the tenant', params: TenantParams, response: { 200: Any, ...errorResponses(401, 403, 404) } } },
      async (request) => events.getSettings(request.tenant.id),
    );

    app.put(
      '/api/v1/tenants/:tenantId/event-settings',
      { config: write, schema: { tags: ['events'], summary: 'Set the tenant\'s event retention in days', params: TenantParams, body: Type.Object({ retentionDays: Type.Integer({ minimum: 1, maximum: 3650 }) }, { additionalProperties: false }), response: { 200: Any, ...errorResponses(400, 401, 403, 404) } } },
      async (request) => events.setRetentionDays(request.tenant.id, request.body.retentionDays),
    );

    // ── detection rules ──────────────────────────────────────────────────────
    app.post(
      '/api/v1/tenants/:tenantId/detection-rules',
      {
        config: write,
        schema: {
          tags: ['events'],
          summary: 'Import Sigma rules: a YAML body (application/yaml; several documents separated by ---) or JSON {yaml, fileName}. A rule id imported again is replaced. Errors name the rule and line.',
          params: TenantParams,
          body: Type.Union([Type.String({ maxLength: MAX_YAML }), Type.Object({ yaml: Type.String({ minLength: 1, maxLength: MAX_YAML }), fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false })]),
          response: { 201: Type.Object({ created: Type.Integer(), updated: Type.Integer(), items: Type.Array(Any) }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const [text, fileName] = typeof body === 'string' ? [body, 'upload.yml'] : [body.yaml, body.fileName ?? 'upload.yml'];
        let res;
        try {
          res = await events.importRules(request.tenant.id, text, fileName);
        } catch (err) {
          // Import errors name the rule and line; the field is the YAML text itself.
          if (err instanceof AppError && err.status === 400 && !(err.details as { field?: string } | undefined)?.field) throw new AppError(400, 'invalid_request', `yaml: ${err.message}`, { field: 'yaml', ...(err.details as object) });
          throw err;
        }
        return reply.status(201).send({ created: res.created, updated: res.updated, items: res.items.map(ruleView) });
      },
    );

    app.get(
      '/api/v1/tenants/:tenantId/detection-rules',
      { config: read, schema: { tags: ['events'], summary: 'Sigma rules of the tenant', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(Any) }), ...errorResponses(401, 403, 404) } } },
      async (request) => ({ items: (await events.listRules(request.tenant.id)).map(ruleView) }),
    );

    app.get(
      '/api/v1/tenants/:tenantId/detection-rules/:id',
      { config: read, schema: { tags: ['events'], summary: 'A Sigma rule with its YAML', params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404) } } },
      async (request) => ruleView(await events.getRule(request.tenant.id, request.params.id)),
    );

    app.patch(
      '/api/v1/tenants/:tenantId/detection-rules/:id',
      { config: write, schema: { tags: ['events'], summary: 'Enable or disable a Sigma rule', params: ItemParams, body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }), response: { 200: Any, ...errorResponses(400, 401, 403, 404) } } },
      async (request) => ruleView(await events.setRuleEnabled(request.tenant.id, request.params.id, request.body.enabled)),
    );

    app.delete(
      '/api/v1/tenants/:tenantId/detection-rules/:id',
      { config: write, schema: { tags: ['events'], summary: 'Delete a Sigma rule', params: ItemParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } },
      async (request, reply) => {
        await events.deleteRule(request.tenant.id, request.params.id);
        return reply.status(204).send(null);
      },
    );
  });
}
