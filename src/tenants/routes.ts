import { Type, type TSchema } from 'typebox';
import type { HttpServer } from '../platform/http/server.ts';
import { errorResponses } from '../platform/http/server.ts';
import { iso } from '../platform/ids.ts';
import { actorOf, type AccessService } from '../access/access.ts';
import { pathIds, type Tenant, type TenantNode, type TenantsService } from './tenants.ts';

const TenantParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }) });
const TenantName = Type.String({ minLength: 1, maxLength: 255, description: 'Unique among siblings; no <, > or "' });

const tenantFields = {
  id: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  kind: Type.String({ enum: ['root', 'shared', 'customer'] }),
  depth: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
};
const TenantView = Type.Object(tenantFields, { $id: 'Tenant' });
// A recursive schema is awkward in OpenAPI; the tree nests `children` of the same shape.
const TenantTreeNode: TSchema = Type.Object({ ...tenantFields, children: Type.Array(Type.Unknown(), { description: 'Child nodes of the same shape' }) });

const view = (t: Tenant) => ({ id: t.id, parentId: t.parentId, name: t.name, kind: t.kind, depth: t.depth, createdAt: iso(t.createdAt)!, updatedAt: iso(t.updatedAt)! });
const treeView = (n: TenantNode): Record<string, unknown> => ({ ...view(n), children: n.children.map(treeView) });

export function registerTenantRoutes(app: HttpServer, tenants: TenantsService, access: AccessService): void {
  app.get(
    '/api/v1/tenants',
    { schema: { tags: ['tenants'], summary: 'The tenant tree you can see (subtrees of the tenants you hold roles on)', response: { 200: Type.Object({ items: Type.Array(TenantTreeNode) }), ...errorResponses(401) } } },
    async (request) => ({ items: (await tenants.trees(access.visibleTops(request.principal))).map(treeView) }),
  );

  app.get(
    '/api/v1/tenants/:tenantId',
    {
      config: { permission: 'tenants.read' },
      schema: {
        tags: ['tenants'],
        summary: 'One tenant, its path from Root and your permissions on it',
        params: TenantParams,
        response: { 200: Type.Object({ tenant: TenantView, path: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })), roles: Type.Array(Type.String()) }), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const lineage = [];
      for (const id of pathIds(request.tenant)) {
        const t = await tenants.find(id);
        if (t) lineage.push({ id: t.id, name: t.name });
      }
      return { tenant: view(request.tenant), path: lineage, roles: access.rolesOn(request.principal, request.tenant) };
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/children',
    {
      config: { permission: 'tenants.write' },
      schema: {
        tags: ['tenants'],
        summary: "Create a child tenant: the parent's integration settings are copied to it (independent afterwards)",
        params: TenantParams,
        body: Type.Object({ name: TenantName }, { additionalProperties: false }),
        response: { 201: TenantView, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const child = await tenants.create({ parentId: request.tenant.id, name: request.body.name }, actorOf(request.principal));
      return reply.status(201).send(view(child));
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId',
    {
      config: { permission: 'tenants.write' },
      schema: { tags: ['tenants'], summary: 'Rename a tenant', params: TenantParams, body: Type.Object({ name: TenantName }, { additionalProperties: false }), response: { 200: TenantView, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request) => view(await tenants.rename(request.tenant.id, request.body.name, actorOf(request.principal))),
  );

  app.delete(
    '/api/v1/tenants/:tenantId',
    {
      config: { permission: 'tenants.delete' },
      schema: {
        tags: ['tenants'],
        summary: 'Delete a tenant and its subtree: integrations stop at once, data are purged after the configured delay (at most 24 h); no restore',
        params: TenantParams,
        response: { 202: Type.Object({ deletedTenants: Type.Integer(), purgeAfter: Type.String() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const res = await tenants.delete(request.tenant.id, actorOf(request.principal));
      return reply.status(202).send({ deletedTenants: res.tenantIds.length, purgeAfter: iso(res.purgeAfter)! });
    },
  );
}
