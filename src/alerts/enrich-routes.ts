import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/server.ts';
import { errorResponses } from '../platform/http/server.ts';
import type { EnrichmentService } from '../enrichment/index.ts';
import type { AlertsService } from './alerts.ts';
import { enrichAndRecord, refreshStatusAndRecord } from './enrich.ts';

const ItemParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }) });
const Body = Type.Optional(
  Type.Object(
    {
      observableIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 1000, description: 'Only these observables (default: all)' })),
      force: Type.Optional(Type.Boolean({ description: 'Bypass the cache (spends quota)' })),
    },
    { additionalProperties: false },
  ),
);
const StatusBody = Type.Optional(
  Type.Object({ observableIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 1000, description: 'Only these observables (default: all)' })) }, { additionalProperties: false }),
);
const Result = Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())) });

/** "Enrich now" for an alert's or an incident's observables, and the tenant's quota. */
export function registerEnrichmentRoutes(app: HttpServer, alerts: AlertsService, enrichment: EnrichmentService): void {
  app.post(
    '/api/v1/tenants/:tenantId/alerts/:id/enrich',
    { config: { permission: 'response.launch' }, schema: { tags: ['enrichment'], summary: "Enrich the alert's observables (cached results cost no quota)", params: ItemParams, body: Body, response: { 200: Result, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => {
      const observables = await alertObservables(request.tenant.id, request.params.id, request.body?.observableIds);
      return { items: (await enrichAndRecord(alerts, enrichment, request.tenant.id, observables, { force: request.body?.force })) as unknown as Record<string, unknown>[] };
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/incidents/:id/enrich',
    { config: { permission: 'response.launch' }, schema: { tags: ['enrichment'], summary: "Enrich the observables of every alert of the incident", params: ItemParams, body: Body, response: { 200: Result, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => {
      const observables = await incidentObservables(request.tenant.id, request.params.id, request.body?.observableIds);
      return { items: (await enrichAndRecord(alerts, enrichment, request.tenant.id, observables, { force: request.body?.force })) as unknown as Record<string, unknown>[] };
    },
  );

  // The alert's or incident's observables, after checking that the item is the tenant's (404 otherwise).
  const alertObservables = async (tenantId: string, id: string, only?: string[]) => {
    await alerts.get(tenantId, id);
    return alerts.observablesOf(tenantId, [id], only);
  };
  const incidentObservables = async (tenantId: string, id: string, only?: string[]) => {
    await alerts.getIncident(tenantId, id);
    const linked = await alerts.list({ tenantIds: [tenantId], incidentId: id, limit: 200 });
    return alerts.observablesOf(tenantId, linked.items.map((a) => a.id), only);
  };
  for (const [kind, observablesOf] of [['alerts', alertObservables], ['incidents', incidentObservables]] as const) {
    app.post(
      `/api/v1/tenants/:tenantId/${kind}/:id/refresh-status`,
      {
        config: { permission: 'response.launch' },
        schema: { tags: ['enrichment'], summary: `Refresh the Status update column of the ${kind === 'alerts' ? "alert's" : "incident's"} observables (TIP Premium; spends no quota)`, params: ItemParams, body: StatusBody, response: { 200: Result, ...errorResponses(400, 401, 403, 404) } },
      },
      async (request) => {
        const observables = await observablesOf(request.tenant.id, request.params.id, request.body?.observableIds);
        return { items: (await refreshStatusAndRecord(alerts, enrichment, request.tenant.id, observables)) as unknown as Record<string, unknown>[] };
      },
    );
  }

  app.get(
    '/api/v1/tenants/:tenantId/enrichment/quota',
    { config: { permission: 'integrations.read' }, schema: { tags: ['enrichment'], summary: 'Threat-intelligence requests today, the remaining quota and whether it is exhausted', params: Type.Object({ tenantId: Type.String({ format: 'uuid' }) }), response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errorResponses(401, 403, 404) } } },
    async (request) => (await enrichment.quota(request.tenant.id)) as unknown as Record<string, unknown>,
  );
}
