import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/server.ts';
import { errorResponses } from '../platform/http/server.ts';
import { iso } from '../platform/ids.ts';
import { actorOf, type AccessService } from '../access/access.ts';
import { invalidField } from '../platform/errors.ts';
import type { TenantsService, Tenant } from '../tenants/tenants.ts';
import type { AlertsService } from './alerts.ts';
import type { Alert, AlertDetails, AlertInput, AlertStatus, Comment, Incident, IncidentStatus, Observable, Severity } from './types.ts';
import { AlertInputSchema, AlertListQuery, AlertPatchSchema, IncidentInputSchema, IncidentListQuery, IncidentPatchSchema } from './schemas.ts';
import type { SortKey } from './paging.ts';

const TenantParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }) });
const ItemParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }) });
const Any = Type.Record(Type.String(), Type.Unknown());
const Page = Type.Object({ items: Type.Array(Any), nextCursor: Type.Union([Type.String(), Type.Null()]) });

const alertView = (a: Alert) => ({ ...a, firstEventAt: iso(a.firstEventAt), lastEventAt: iso(a.lastEventAt), createdAt: iso(a.createdAt), updatedAt: iso(a.updatedAt), statusChangedAt: iso(a.statusChangedAt) });
export const observableView = (o: Observable) => ({ ...o, enrichmentAt: iso(o.enrichmentAt), statusUpdateAt: iso(o.statusUpdateAt) });
const commentView = (c: Comment) => ({ ...c, createdAt: iso(c.createdAt) });
const detailsView = (d: AlertDetails) => ({ ...alertView(d), observables: d.observables.map(observableView), assets: d.assets, events: d.events, comments: d.comments.map(commentView) });
const incidentView = (i: Incident) => ({ ...i, createdAt: iso(i.createdAt), updatedAt: iso(i.updatedAt), statusChangedAt: iso(i.statusChangedAt) });
const csv = <T extends string>(v: string | undefined) => (v ? (v.split(',') as T[]) : undefined);

async function scope(tenants: TenantsService, tenant: Tenant, subtree: boolean | undefined): Promise<string[]> {
  return subtree ? (await tenants.subtree(tenant.id)).map((t) => t.id) : [tenant.id];
}

/**
 * An assignee must be an active user who can see the item's alerts (alerts.read on its tenant,
 * directly or through an ancestor): not a deleted or disabled account, nor someone of another tenant.
 */
async function checkAssignee(access: AccessService, tenant: Tenant, assigneeId: string | null | undefined): Promise<void> {
  if (!assigneeId) return;
  if (!(await access.userCan(assigneeId, 'alerts.read', tenant))) throw invalidField('body.assigneeId', "is not an active user who can read this tenant's alerts");
}

export function registerAlertRoutes(app: HttpServer, alerts: AlertsService, tenants: TenantsService): void {
  // Decorated by registerAuthHook, which runs first.
  const access = () => app.access;
  const read = { permission: 'alerts.read' as const };
  const write = { permission: 'alerts.write' as const };

  app.post(
    '/api/v1/tenants/:tenantId/alerts',
    {
      config: write,
      schema: {
        tags: ['alerts'],
        summary: 'Create an alert (idempotent by source + sourceId: 200 with the existing alert)',
        params: TenantParams,
        body: AlertInputSchema,
        response: { 201: Any, 200: Any, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const [res] = await alerts.createAlerts(request.tenant.id, [request.body as AlertInput], actorOf(request.principal));
      return reply.status(res.created ? 201 : 200).send(res);
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/alerts/batch',
    {
      config: write,
      schema: {
        tags: ['alerts'],
        summary: 'Create up to 1,000 alerts in one transaction; a re-sent batch creates nothing twice',
        params: TenantParams,
        body: Type.Object({ alerts: Type.Array(AlertInputSchema, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ created: Type.Integer(), existing: Type.Integer(), items: Type.Array(Any) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const items = await alerts.createAlerts(request.tenant.id, request.body.alerts as AlertInput[], actorOf(request.principal));
      const created = items.filter((i) => i.created).length;
      return { created, existing: items.length - created, items };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/alerts',
    {
      config: read,
      schema: { tags: ['alerts'], summary: 'Alerts with filters, sorting and cursor pagination', params: TenantParams, querystring: AlertListQuery, response: { 200: Page, ...errorResponses(400, 401, 403, 404) } },
    },
    async (request) => {
      const q = request.query;
      const page = await alerts.list({
        tenantIds: await scope(tenants, request.tenant, q.subtree),
        status: csv<AlertStatus>(q.status),
        severity: csv<Severity>(q.severity),
        assigneeId: q.assigneeId,
        from: q.from ? Date.parse(q.from) : undefined,
        to: q.to ? Date.parse(q.to) : undefined,
        observable: q.observable,
        observableType: q.observableType,
        rule: q.rule,
        incidentId: q.incidentId,
        q: q.q,
        sort: q.sort as SortKey | undefined,
        limit: q.limit ?? 50,
        cursor: q.cursor,
      });
      return { items: page.items.map(alertView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/alerts/:id',
    { config: read, schema: { tags: ['alerts'], summary: 'An alert with its observables, assets, original events and comments', params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404) } } },
    async (request) => detailsView(await alerts.get(request.tenant.id, request.params.id)),
  );

  app.patch(
    '/api/v1/tenants/:tenantId/alerts/:id',
    {
      config: write,
      schema: { tags: ['alerts'], summary: 'Assign, change status/resolution/severity, set external reference or additional data (closed alerts are read-only)', params: ItemParams, body: AlertPatchSchema, response: { 200: Any, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request) => {
      await checkAssignee(access(), request.tenant, request.body.assigneeId);
      return alertView(await alerts.update(request.tenant.id, request.params.id, request.body, actorOf(request.principal)));
    },
  );

  for (const kind of ['alerts', 'incidents'] as const) {
    app.post(
      `/api/v1/tenants/:tenantId/${kind}/:id/comments`,
      {
        config: write,
        schema: { tags: [kind], summary: `Comment on an ${kind === 'alerts' ? 'alert' : 'incident'}`, params: ItemParams, body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 20_000 }) }, { additionalProperties: false }), response: { 201: Any, ...errorResponses(400, 401, 403, 404, 409) } },
      },
      async (request, reply) => reply.status(201).send(commentView(await alerts.comment(request.tenant.id, kind === 'alerts' ? 'alert' : 'incident', request.params.id, request.body.text, actorOf(request.principal)))),
    );
  }

  // ── incidents ──────────────────────────────────────────────────────────────
  app.post(
    '/api/v1/tenants/:tenantId/incidents',
    { config: write, schema: { tags: ['incidents'], summary: 'Create an incident, optionally with alerts (at most 200)', params: TenantParams, body: IncidentInputSchema, response: { 201: Any, ...errorResponses(400, 401, 403, 404, 409) } } },
    async (request, reply) => reply.status(201).send(incidentView(await alerts.createIncident(request.tenant.id, request.body, actorOf(request.principal)))),
  );

  app.get(
    '/api/v1/tenants/:tenantId/incidents',
    { config: read, schema: { tags: ['incidents'], summary: 'Incidents with filters and cursor pagination', params: TenantParams, querystring: IncidentListQuery, response: { 200: Page, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => {
      const q = request.query;
      const page = await alerts.listIncidents({ tenantIds: await scope(tenants, request.tenant, q.subtree), status: csv<IncidentStatus>(q.status), severity: csv<Severity>(q.severity), assigneeId: q.assigneeId, sort: q.sort as SortKey | undefined, limit: q.limit ?? 50, cursor: q.cursor });
      return { items: page.items.map(incidentView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/incidents/:id',
    {
      config: read,
      schema: {
        tags: ['incidents'],
        summary: "An incident with its alerts, their observables and assets (each with its alertId, as stored per alert: one per alert even when alerts share a value) and the incident's comments",
        params: ItemParams,
        response: { 200: Any, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const tenantId = request.tenant.id;
      const incident = await alerts.getIncident(tenantId, request.params.id);
      // Linked alerts are always the incident's tenant's (linking checks it); the reads below are
      // scoped to that tenant all the same.
      const linked = await alerts.list({ tenantIds: [tenantId], incidentId: incident.id, limit: 200 });
      const alertIds = linked.items.map((a) => a.id);
      const [observables, assets, comments] = await Promise.all([alerts.observablesOf(tenantId, alertIds), alerts.assetsOf(tenantId, alertIds), alerts.incidentComments(incident.id)]);
      return { ...incidentView(incident), alerts: linked.items.map(alertView), observables: observables.map(observableView), assets, comments: comments.map(commentView) };
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId/incidents/:id',
    { config: write, schema: { tags: ['incidents'], summary: 'Update an incident (closed incidents are read-only)', params: ItemParams, body: IncidentPatchSchema, response: { 200: Any, ...errorResponses(400, 401, 403, 404, 409) } } },
    async (request) => {
      await checkAssignee(access(), request.tenant, request.body.assigneeId);
      return incidentView(await alerts.updateIncident(request.tenant.id, request.params.id, request.body, actorOf(request.principal)));
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/incidents/:id/alerts',
    {
      config: write,
      schema: { tags: ['incidents'], summary: 'Link alerts into the incident', params: ItemParams, body: Type.Object({ alertIds: Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 200 }) }, { additionalProperties: false }), response: { 200: Any, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request) => incidentView(await alerts.link(request.tenant.id, request.params.id, request.body.alertIds, actorOf(request.principal))),
  );

  app.delete(
    '/api/v1/tenants/:tenantId/incidents/:id/alerts/:alertId',
    {
      config: write,
      schema: { tags: ['incidents'], summary: 'Unlink an alert from the incident', params: Type.Object({ tenantId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }), alertId: Type.String({ format: 'uuid' }) }), response: { 200: Any, ...errorResponses(401, 403, 404, 409) } },
    },
    async (request) => incidentView(await alerts.unlink(request.tenant.id, request.params.id, request.params.alertId, actorOf(request.principal))),
  );
}
