import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/server.ts';
import { errorResponses } from '../platform/http/server.ts';
import type { EnrichmentService } from '../enrichment/index.ts';
import type { AlertsService } from './alerts.ts';
import { enrichAndRecord } from './enrich.ts';

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
const Result = Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())) });

/** "Enrich now" for an alert's or an incident's observables, and the tenant's quota. */
export function registerEnrichmentRoutes(app: HttpServer, alerts: AlertsService, enrichment: EnrichmentService): void {
  app.post(
    '/api/v1/tenants/:tenantId/alerts/:id/enrich',
    { config: { permission: 'response.launch' }, schema: { tags: ['enrichment'], summary: "Enrich the alert's observables (cached results cost no quota)", params: ItemParams, body: Body, response: { 200: Result, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => {
      await alerts.get(request.tenant.id, request.params.id);
      const observables = await alerts.observablesOf(request.tenant.id, [request.params.id], request.body?.observableIds);
      return { items: (await enrichAndRecord(alerts, enrichment, request.tenant.id, observables, { force: request.body?.force })) as unknown as Record<string, unknown>[] };
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/incidents/:id/enrich',
    { config: { permission: 'response.launch' }, schema: { tags: ['enrichment'], summary: "Enrich the observables of every alert of the incident", params: ItemParams, body: Body, response: { 200: Result, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => {
      await alerts.getIncident(request.tenant.id, request.params.id);
      const linked = await alerts.list({ tenantIds: [request.tenant.id], incidentId: request.params.id, limit: 200 });
      const observables = await alerts.observablesOf(request.tenant.id, linked.items.map((a) => a.id), request.body?.observableIds);
      return { items: (await enrichAndRecord(alerts, enrichment, request.tenant.id, observables, { force: request.body?.force })) as unknown as Record<string, unknown>[] };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/enrichment/quota',
    { config: { permission: 'integrations.read' }, schema: { tags: ['enrichment'], summary: 'Threat-intelligence requests today, the remaining quota and whether it is exhausted', params: Type.Object({ tenantId: Type.String({ format: 'uuid' }) }), response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errorResponses(401, 403, 404) } } },
    async (request) => (await enrichment.quota(request.tenant.id)) as unknown as Record<string, unknown>,
  );
}
