import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/server.ts';
import { errorResponses } from '../platform/http/server.ts';
import { iso } from '../platform/ids.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import type { TenantsService } from '../tenants/tenants.ts';

const AuditEntryView = Type.Object(
  {
    seq: Type.Integer(),
    id: Type.String(),
    at: Type.String(),
    actor: Type.Object({ kind: Type.String(), id: Type.Union([Type.String(), Type.Null()]), name: Type.String() }),
    tenantId: Type.Union([Type.String(), Type.Null()]),
    action: Type.String(),
    targetKind: Type.Union([Type.String(), Type.Null()]),
    targetId: Type.Union([Type.String(), Type.Null()]),
    outcome: Type.String(),
    details: Type.Unknown(),
  },
  { $id: 'AuditEntry' },
);

/** The audit log of a tenant's subtree, newest first, for administrators. */
export function registerAuditRoutes(app: HttpServer, audit: AuditLog, tenants: TenantsService): void {
  app.get(
    '/api/v1/tenants/:tenantId/audit',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit entries of this tenant and its descendants, newest first',
        params: Type.Object({ tenantId: Type.String({ format: 'uuid' }) }),
        querystring: Type.Object(
          {
            action: Type.Optional(Type.String({ maxLength: 100 })),
            actorId: Type.Optional(Type.String({ maxLength: 64 })),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(AuditEntryView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      const tenantIds = (await tenants.subtree(request.tenant.id)).map((t) => t.id);
      const page = await audit.list({
        tenantIds,
        action: q.action,
        actorId: q.actorId,
        from: q.from ? Date.parse(q.from) : undefined,
        to: q.to ? Date.parse(q.to) : undefined,
        limit: q.limit ?? 100,
        cursor: q.cursor,
      });
      return {
        items: page.entries.map((e) => ({
          seq: e.seq,
          id: e.id,
          at: iso(e.at)!,
          actor: e.actor,
          tenantId: e.tenantId,
          action: e.action,
          targetKind: e.target?.kind ?? null,
          targetId: e.target?.id ?? null,
          outcome: e.outcome,
          details: e.details,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );
}
