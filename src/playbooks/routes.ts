import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/server.ts';
import { errorResponses } from '../platform/http/server.ts';
import { iso } from '../platform/ids.ts';
import { actorOf } from '../access/access.ts';
import type { TenantsService } from '../tenants/tenants.ts';
import type { AlertsService } from '../alerts/alerts.ts';
import { conflict, invalidField } from '../platform/errors.ts';
import type { Playbook, PlaybooksService } from './playbooks.ts';
import { RUN_STATUSES, type Run, type RunStatus, type RunsService, type RunStep } from './runs.ts';

const TenantParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }) });
const ItemParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }) });
const Any = Type.Record(Type.String(), Type.Unknown());
const PlaybookBody = Type.Record(Type.String(), Type.Unknown(), { description: 'The playbook (docs/playbooks.md): name, description, tags, scope, mode, trigger, steps, runTimeoutMinutes, enabled, offerToChildren' });

const playbookView = (p: Playbook) => ({ ...p, createdAt: iso(p.createdAt), updatedAt: iso(p.updatedAt), lastTriggerError: p.lastTriggerError ? { ...p.lastTriggerError, at: iso(p.lastTriggerError.at) } : null });
const runView = (r: Run) => ({ ...r, approvalDeadline: iso(r.approvalDeadline), createdAt: iso(r.createdAt), startedAt: iso(r.startedAt), deadline: iso(r.deadline), finishedAt: iso(r.finishedAt) });
const stepView = (s: RunStep) => ({ ...s, startedAt: iso(s.startedAt), finishedAt: iso(s.finishedAt), approval: s.approval ? { ...s.approval, deadline: iso(s.approval.deadline), decidedAt: iso(s.approval.decidedAt) } : null });

export function registerPlaybookRoutes(app: HttpServer, playbooks: PlaybooksService, runs: RunsService, alerts: AlertsService, tenants: TenantsService): void {
  const read = { permission: 'alerts.read' as const };
  const write = { permission: 'playbooks.write' as const };

  app.get('/api/v1/playbook-templates', { schema: { tags: ['playbooks'], summary: 'Predefined read-only playbooks to copy and adapt', response: { 200: Type.Object({ items: Type.Array(Any) }), ...errorResponses(401) } } }, async () => ({
    items: playbooks.templates() as unknown as Record<string, unknown>[],
  }));

  app.get(
    '/api/v1/tenants/:tenantId/playbooks',
    {
      config: read,
      schema: {
        tags: ['playbooks'],
        summary: "The tenant's playbooks and those its ancestors offer to it (inherited, read-only)",
        params: TenantParams,
        querystring: Type.Object({ scope: Type.Optional(Type.Union([Type.Literal('alert'), Type.Literal('incident')])), mode: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('training'), Type.Literal('manual')])), tag: Type.Optional(Type.String({ maxLength: 50 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(Any) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({ items: (await playbooks.list(request.tenant, request.query)).map(playbookView) }),
  );

  app.post(
    '/api/v1/tenants/:tenantId/playbooks/validate',
    { config: write, schema: { tags: ['playbooks'], summary: "Validate a playbook without saving it (jq errors are jq's own)", params: TenantParams, body: PlaybookBody, response: { 200: Type.Object({ valid: Type.Boolean() }), ...errorResponses(400, 401, 403, 404) } } },
    async (request) => {
      await playbooks.validate(request.body);
      return { valid: true };
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/playbooks',
    { config: write, schema: { tags: ['playbooks'], summary: 'Create a playbook', params: TenantParams, body: PlaybookBody, response: { 201: Any, ...errorResponses(400, 401, 403, 404, 409) } } },
    async (request, reply) => reply.status(201).send(playbookView(await playbooks.create(request.tenant, request.body, actorOf(request.principal)))),
  );

  app.post(
    '/api/v1/tenants/:tenantId/playbooks/from-template/:templateId',
    {
      config: write,
      schema: {
        tags: ['playbooks'],
        summary: 'Copy a predefined template into the tenant (an ordinary, editable playbook)',
        params: Type.Object({ tenantId: Type.String({ format: 'uuid' }), templateId: Type.String({ maxLength: 100 }) }),
        body: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })), mode: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('training'), Type.Literal('manual')])), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
        response: { 201: Any, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(playbookView(await playbooks.createFromTemplate(request.tenant, request.params.templateId, request.body ?? {}, actorOf(request.principal)))),
  );

  app.get(
    '/api/v1/tenants/:tenantId/playbooks/:id',
    { config: read, schema: { tags: ['playbooks'], summary: 'One playbook', params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404) } } },
    async (request) => playbookView(await playbooks.get(request.tenant, request.params.id)),
  );

  app.put(
    '/api/v1/tenants/:tenantId/playbooks/:id',
    { config: write, schema: { tags: ['playbooks'], summary: 'Replace a playbook (a new version; running runs keep theirs)', params: ItemParams, body: PlaybookBody, response: { 200: Any, ...errorResponses(400, 401, 403, 404, 409) } } },
    async (request) => playbookView(await playbooks.update(request.tenant, request.params.id, request.body, actorOf(request.principal))),
  );

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(
      `/api/v1/tenants/:tenantId/playbooks/:id/${verb}`,
      { config: write, schema: { tags: ['playbooks'], summary: `${enabled ? 'Enable' : 'Disable'} a playbook`, params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404) } } },
      async (request) => playbookView(await playbooks.setEnabled(request.tenant, request.params.id, enabled, actorOf(request.principal))),
    );
  }

  app.delete(
    '/api/v1/tenants/:tenantId/playbooks/:id',
    { config: write, schema: { tags: ['playbooks'], summary: 'Delete a playbook (its runs stay in history)', params: ItemParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      await playbooks.delete(request.tenant, request.params.id, actorOf(request.principal));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/playbooks/:id/launch',
    {
      config: { permission: 'playbooks.launch' },
      schema: {
        tags: ['playbooks'],
        summary: 'Launch a playbook by hand for an alert or incident, optionally for selected observables and assets (.input in jq)',
        params: ItemParams,
        body: Type.Object(
          {
            alertId: Type.Optional(Type.String({ format: 'uuid' })),
            incidentId: Type.Optional(Type.String({ format: 'uuid' })),
            observableIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 500 })),
            assetIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Any, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const playbook = await playbooks.get(request.tenant, request.params.id);
      if (!playbook.enabled) throw conflict('the playbook is disabled: enable it to launch it');
      const itemId = playbook.scope === 'alert' ? request.body.alertId : request.body.incidentId;
      if (!itemId) throw invalidField(playbook.scope === 'alert' ? 'alertId' : 'incidentId', `is required: this playbook's scope is ${playbook.scope}`);
      if (playbook.scope === 'alert') await alerts.get(request.tenant.id, itemId);
      else await alerts.getIncident(request.tenant.id, itemId);
      const run = await runs.start({ playbook, tenantId: request.tenant.id, itemId, trigger: 'manual', launcher: actorOf(request.principal), input: { observableIds: request.body.observableIds, assetIds: request.body.assetIds } });
      return reply.status(201).send(runView(run!));
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/playbook-runs',
    {
      config: { permission: 'history.read' },
      schema: {
        tags: ['playbooks'],
        summary: 'Playbook runs, newest first; awaiting=approval: what an approver can decide (training runs, and runs with a step awaiting approval)',
        params: TenantParams,
        querystring: Type.Object(
          {
            awaiting: Type.Optional(Type.Literal('approval', { description: 'Only runs awaiting approval and running runs with a step awaiting approval (open window); each item adds awaitingSteps and item' })),
            playbookId: Type.Optional(Type.String({ format: 'uuid' })),
            itemId: Type.Optional(Type.String({ format: 'uuid' })),
            status: Type.Optional(Type.String({ pattern: `^(${RUN_STATUSES.join('|')})(,(${RUN_STATUSES.join('|')}))*$` })),
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
      const awaiting = q.awaiting === 'approval';
      if (awaiting && q.status) throw invalidField('querystring.status', 'cannot be combined with awaiting=approval (it selects runs awaiting approval and running runs with a step awaiting approval)');
      const page = await runs.list({ tenantIds, playbookId: q.playbookId, itemId: q.itemId, status: q.status ? (q.status.split(',') as RunStatus[]) : undefined, awaitingApproval: awaiting, limit: q.limit ?? 50, cursor: q.cursor });
      if (!awaiting) return { items: page.items.map(runView), nextCursor: page.nextCursor };
      const context = await runs.approvalContext(page.items);
      return {
        items: page.items.map((r) => {
          const c = context.get(r.id)!;
          return { ...runView(r), awaitingSteps: c.awaitingSteps.map((s) => ({ ...s, startedAt: iso(s.startedAt), deadline: iso(s.deadline) })), item: c.item };
        }),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/playbook-runs/:id',
    { config: { permission: 'history.read' }, schema: { tags: ['playbooks'], summary: 'A run with each step: status, inputs, outputs, times', params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404) } } },
    async (request) => {
      const run = await runs.get(request.tenant.id, request.params.id);
      return { ...runView(run), steps: (await runs.steps(run.id)).map(stepView) };
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/api/v1/tenants/:tenantId/playbook-runs/:id/${decision}`,
      { config: { permission: 'response.approve' }, schema: { tags: ['playbooks'], summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a training-mode run`, params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404, 409) } } },
      async (request) => runView(await runs.decide(request.tenant.id, request.params.id, decision, actorOf(request.principal))),
    );
  }

  // A step's path as the run shows it (e.g. "note", "each[2]/note"), percent-encoded in the URL.
  const StepParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }), path: Type.String({ minLength: 1, maxLength: 2000 }) });
  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/api/v1/tenants/:tenantId/playbook-runs/:id/steps/:path/${decision}`,
      {
        config: { permission: 'response.approve' },
        schema: {
          tags: ['playbooks'],
          summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a step awaiting approval (updateData or enrichment with approval.required); the path is percent-encoded`,
          params: StepParams,
          response: { 200: Any, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) => stepView(await runs.decideStep(request.tenant.id, request.params.id, request.params.path, decision, actorOf(request.principal))),
    );
  }

  app.post(
    '/api/v1/tenants/:tenantId/playbook-runs/:id/cancel',
    { config: { permission: 'playbooks.launch' }, schema: { tags: ['playbooks'], summary: 'Cancel a run: it stops before its next step', params: ItemParams, response: { 200: Any, ...errorResponses(401, 403, 404, 409) } } },
    async (request) => runView(await runs.cancel(request.tenant.id, request.params.id, actorOf(request.principal))),
  );
}
