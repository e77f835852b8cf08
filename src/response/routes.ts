import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/server.ts';
import { errorResponses } from '../platform/http/server.ts';
import { iso } from '../platform/ids.ts';
import { actorOf } from '../access/access.ts';
import type { TenantsService } from '../tenants/tenants.ts';
import type { ResponseService, LaunchInput } from './response.ts';
import { RESPONSE_STATUSES, type ResponseAction, type ResponseStatus } from './rows.ts';

const TenantParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }) });
const ItemParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }) });
const Any = Type.Record(Type.String(), Type.Unknown());
const Approval = Type.Object(
  { required: Type.Boolean(), windowMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_080, default: 60, description: 'Approval window; expiry = timed out' })) },
  { additionalProperties: false },
);
const Target = Type.Object(
  { kind: Type.String({ minLength: 1, maxLength: 64 }), value: Type.String({ maxLength: 8192 }), attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
  { additionalProperties: false },
);
const Decision = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });

export const responseView = (a: ResponseAction) => ({
  ...a,
  approvalDeadline: iso(a.approvalDeadline),
  decision: a.decision ? { ...a.decision, at: iso(a.decision.at) } : null,
  createdAt: iso(a.createdAt),
  updatedAt: iso(a.updatedAt),
  startedAt: iso(a.startedAt),
  finishedAt: iso(a.finishedAt),
});

export function registerResponseRoutes(app: HttpServer, response: ResponseService, tenants: TenantsService): void {
  app.get(
    '/api/v1/tenants/:tenantId/response/catalogue',
    { config: { permission: 'response.launch' }, schema: { tags: ['response'], summary: "Actions of the tenant's enabled integrations, with target kinds, parameter schemas and undo pairs", params: TenantParams, response: { 200: Type.Object({ items: Type.Array(Any) }), ...errorResponses(401, 403, 404) } } },
    async (request) => ({ items: (await response.catalogue(request.tenant.id)) as unknown as Record<string, unknown>[] }),
  );

  app.post(
    '/api/v1/tenants/:tenantId/response/launches',
    {
      config: { permission: 'response.launch' },
      schema: {
        tags: ['response'],
        summary: 'Launch an action on one or many targets (one history entry per target), optionally behind manual approval',
        params: TenantParams,
        body: Type.Object(
          {
            instanceId: Type.String({ format: 'uuid' }),
            action: Type.String({ minLength: 1, maxLength: 100 }),
            params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            targets: Type.Optional(Type.Array(Target, { maxItems: 500 })),
            alertId: Type.Optional(Type.String({ format: 'uuid' })),
            incidentId: Type.Optional(Type.String({ format: 'uuid' })),
            observableIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 500 })),
            assetIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 500 })),
            approval: Type.Optional(Approval),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ launchId: Type.String(), actions: Type.Array(Any) }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const res = await response.launch(request.tenant.id, request.body as LaunchInput, actorOf(request.principal));
      return reply.status(201).send({ launchId: res.launchId, actions: res.actions.map(responseView) });
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/response/actions',
    {
      config: { permission: 'history.read' },
      schema: {
        tags: ['response'],
        summary: 'Response history, newest first',
        params: TenantParams,
        querystring: Type.Object(
          {
            alertId: Type.Optional(Type.String({ format: 'uuid' })),
            incidentId: Type.Optional(Type.String({ format: 'uuid' })),
            status: Type.Optional(Type.String({ pattern: `^(${RESPONSE_STATUSES.join('|')})(,(${RESPONSE_STATUSES.join('|')}))*$` })),
            action: Type.Optional(Type.String({ maxLength: 100 })),
            launcherId: Type.Optional(Type.String({ maxLength: 64 })),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            subtree: Type.Optional(Type.Boolean()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(Any), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      const tenantIds = q.subtree ? (await tenants.subtree(request.tenant.id)).map((t) => t.id) : [request.tenant.id];
      const page = await response.history({
        tenantIds,
        alertId: q.alertId,
        incidentId: q.incidentId,
        status: q.status ? (q.status.split(',') as ResponseStatus[]) : undefined,
        action: q.action,
        launcherId: q.launcherId,
        from: q.from ? Date.parse(q.from) : undefined,
        to: q.to ? Date.parse(q.to) : undefined,
        limit: q.limit ?? 50,
        cursor: q.cursor,
      });
      return { items: page.items.map(responseView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/response/actions/:id',
    { config: { permission: 'history.read' }, schema: { tags: ['response'], summary: 'One response history entry', params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404) } } },
    async (request) => responseView(await response.get(request.tenant.id, request.params.id)),
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/api/v1/tenants/:tenantId/response/actions/:id/${decision}`,
      {
        config: { permission: 'response.approve' },
        schema: { tags: ['response'], summary: decision === 'approve' ? 'Approve an action awaiting approval' : 'Reject an action awaiting approval', params: ItemParams, body: Type.Optional(Decision), response: { 200: Any, ...errorResponses(400, 401, 403, 404, 409) } },
      },
      async (request) => responseView(await response.decide(request.tenant.id, request.params.id, decision, actorOf(request.principal), request.body?.comment)),
    );
  }

  app.post(
    '/api/v1/tenants/:tenantId/response/actions/:id/cancel',
    { config: { permission: 'response.launch' }, schema: { tags: ['response'], summary: 'Cancel a queued action or one awaiting approval', params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404, 409) } } },
    async (request) => responseView(await response.cancel(request.tenant.id, request.params.id, actorOf(request.principal))),
  );

  app.post(
    '/api/v1/tenants/:tenantId/response/actions/:id/undo',
    {
      config: { permission: 'response.launch' },
      schema: { tags: ['response'], summary: "Undo a succeeded action with its declared undo action (a new history entry linked to it)", params: ItemParams, body: Type.Optional(Type.Object({ approval: Type.Optional(Approval) }, { additionalProperties: false })), response: { 201: Any, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => reply.status(201).send(responseView(await response.undo(request.tenant.id, request.params.id, actorOf(request.principal), request.body?.approval))),
  );
}
