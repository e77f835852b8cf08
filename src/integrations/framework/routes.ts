import { Type } from 'typebox';
import type { HttpServer } from '../../platform/http/server.ts';
import { errorResponses } from '../../platform/http/server.ts';
import { iso } from '../../platform/ids.ts';
import { actorOf } from '../../access/access.ts';
import type { ConnectorRegistry } from './registry.ts';
import type { IntegrationInstance, IntegrationsService } from './instances.ts';

const TenantParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }) });
const InstanceParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }) });
const Config = Type.Record(Type.String(), Type.Unknown(), { description: "Settings validated against the type's configSchema" });
const SecretValues = Type.Record(Type.String(), Type.Unknown(), { description: 'Secret fields (write-only)' });

const CheckView = Type.Object(
  {
    ok: Type.Boolean(),
    stage: Type.String({ description: 'config, resolve, connect, tls, authenticate, authorize, quota or request' }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'CheckResult' },
);
const InstanceView = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.String(),
    type: Type.String(),
    name: Type.String(),
    enabled: Type.Boolean(),
    config: Config,
    secrets: Type.Array(
      Type.Object({
        field: Type.String(),
        set: Type.Boolean(),
        updatedAt: Type.String({ description: 'When the current value was set (a copy from the parent tenant keeps its time)' }),
        lastUsedAt: Type.Union([Type.String(), Type.Null()], { description: 'Last recorded successful use of the current value (recorded at most daily); null: none recorded' }),
      }),
      { description: 'Which secrets are set; never their values' },
    ),
    status: Type.Union([Type.Object({ warnings: Type.Array(Type.String()), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }), Type.Null()], {
      description: "The connector's standing warnings from stored settings (a credential nearing its end); null when the type has none",
    }),
    copiedFrom: Type.Union([Type.Object({ tenantId: Type.String(), instanceId: Type.String() }), Type.Null()]),
    lastCheck: Type.Union([Type.Object({ ok: Type.Boolean(), stage: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())), at: Type.String() }), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'IntegrationInstance' },
);

const view = (i: IntegrationInstance) => ({
  id: i.id,
  tenantId: i.tenantId,
  type: i.type,
  name: i.name,
  enabled: i.enabled,
  config: i.config,
  secrets: i.secrets.map((s) => ({ field: s.field, set: true, updatedAt: iso(s.updatedAt)!, lastUsedAt: iso(s.usedAt) })),
  status: i.status,
  copiedFrom: i.copiedFrom,
  lastCheck: i.lastCheck ? { ok: i.lastCheck.ok, stage: i.lastCheck.stage, message: i.lastCheck.message, details: i.lastCheck.details, at: iso(i.lastCheck.at)! } : null,
  createdAt: iso(i.createdAt)!,
  updatedAt: iso(i.updatedAt)!,
});

export function registerIntegrationRoutes(app: HttpServer, registry: ConnectorRegistry, integrations: IntegrationsService): void {
  app.get(
    '/api/v1/connector-types',
    {
      schema: {
        tags: ['integrations'],
        summary: 'Connector types with their settings schemas (fields in secretsSchema are write-only) and actions',
        response: { 200: Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())) }), ...errorResponses(401) },
      },
    },
    async () => ({
      items: registry.list().map((t) => ({
        type: t.type,
        title: t.title,
        description: t.description,
        configSchema: t.configSchema,
        secretsSchema: t.secretsSchema,
        rootOnlyFields: t.rootOnlyFields ?? [],
        singleton: !!t.singleton,
        enrichTypes: t.enrichTypes ?? [],
        actions: Object.entries(t.actions).map(([name, a]) => ({ name, title: a.title, description: a.description, targetKinds: a.targetKinds, paramsSchema: a.paramsSchema, undo: a.undo ?? null })),
      })),
    }),
  );

  app.get(
    '/api/v1/tenants/:tenantId/integrations',
    {
      config: { permission: 'integrations.read' },
      schema: {
        tags: ['integrations'],
        summary: "The tenant's integration instances",
        params: TenantParams,
        querystring: Type.Object(
          { type: Type.Optional(Type.String({ maxLength: 64 })), enabled: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })), offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(InstanceView), total: Type.Integer() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      const { items, total } = await integrations.list(request.tenant, { type: q.type, enabled: q.enabled, limit: q.limit ?? 100, offset: q.offset ?? 0 });
      return { items: items.map(view), total };
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/integrations',
    {
      config: { permission: 'integrations.write' },
      schema: {
        tags: ['integrations'],
        summary: 'Create an integration instance',
        params: TenantParams,
        body: Type.Object(
          { type: Type.String({ minLength: 1, maxLength: 64 }), name: Type.String({ minLength: 1, maxLength: 255 }), enabled: Type.Optional(Type.Boolean()), config: Type.Optional(Config), secrets: Type.Optional(SecretValues) },
          { additionalProperties: false },
        ),
        response: { 201: InstanceView, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(view(await integrations.create(request.tenant, request.body, actorOf(request.principal)))),
  );

  app.post(
    '/api/v1/tenants/:tenantId/integrations/check',
    {
      config: { permission: 'integrations.write' },
      schema: {
        tags: ['integrations'],
        summary: 'Check connection on unsaved settings (with instanceId, missing secrets come from that saved instance)',
        params: TenantParams,
        body: Type.Object(
          { type: Type.String({ minLength: 1, maxLength: 64 }), config: Type.Optional(Config), secrets: Type.Optional(SecretValues), instanceId: Type.Optional(Type.String({ format: 'uuid' })) },
          { additionalProperties: false },
        ),
        response: { 200: CheckView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => integrations.checkDraft(request.tenant, request.body, actorOf(request.principal)),
  );

  app.get(
    '/api/v1/tenants/:tenantId/integrations/:id',
    { config: { permission: 'integrations.read' }, schema: { tags: ['integrations'], summary: 'One integration instance', params: InstanceParams, response: { 200: InstanceView, ...errorResponses(401, 403, 404) } } },
    async (request) => view(await integrations.get(request.tenant, request.params.id)),
  );

  app.patch(
    '/api/v1/tenants/:tenantId/integrations/:id',
    {
      config: { permission: 'integrations.write' },
      schema: {
        tags: ['integrations'],
        summary: 'Rename, or replace the settings (config is replaced whole and validated)',
        params: InstanceParams,
        body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })), config: Type.Optional(Config) }, { additionalProperties: false }),
        response: { 200: InstanceView, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => view(await integrations.update(request.tenant, request.params.id, request.body, actorOf(request.principal))),
  );

  app.put(
    '/api/v1/tenants/:tenantId/integrations/:id/secrets',
    {
      config: { permission: 'integrations.write' },
      schema: {
        tags: ['integrations'],
        summary: 'Add or replace secrets ("Replace"); null removes one. Values are never returned.',
        params: InstanceParams,
        body: Type.Object({ values: SecretValues }, { additionalProperties: false }),
        response: { 200: InstanceView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => view(await integrations.replaceSecrets(request.tenant, request.params.id, request.body.values, actorOf(request.principal))),
  );

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(
      `/api/v1/tenants/:tenantId/integrations/:id/${verb}`,
      {
        config: { permission: 'integrations.write' },
        schema: { tags: ['integrations'], summary: enabled ? 'Enable the integration' : 'Disable the integration: it makes no outbound calls until enabled', params: InstanceParams, response: { 200: InstanceView, ...errorResponses(401, 403, 404) } },
      },
      async (request) => view(await integrations.setEnabled(request.tenant, request.params.id, enabled, actorOf(request.principal))),
    );
  }

  app.post(
    '/api/v1/tenants/:tenantId/integrations/:id/check',
    { config: { permission: 'integrations.write' }, schema: { tags: ['integrations'], summary: 'Check connection of a saved instance (result stored on it)', params: InstanceParams, response: { 200: CheckView, ...errorResponses(401, 403, 404) } } },
    async (request) => integrations.check(request.tenant, request.params.id, actorOf(request.principal)),
  );

  app.delete(
    '/api/v1/tenants/:tenantId/integrations/:id',
    { config: { permission: 'integrations.write' }, schema: { tags: ['integrations'], summary: 'Delete the instance and its secrets', params: InstanceParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      await integrations.delete(request.tenant, request.params.id, actorOf(request.principal));
      return reply.status(204).send(null);
    },
  );
}
