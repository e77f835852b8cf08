/**
 * The OpenAPI document (/api/docs/json) must cover every API route with its schemas and error
 * shapes (issue 2, item 8) — checked against the routes the app really registers, so a new
 * route without documentation fails here. Also the operational endpoints /healthz, /readyz and
 * /metrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectRoutes } from './support/routes.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { ROLES, roleGrants } from '../src/access/permissions.ts';

const routes = (await collectRoutes()).filter((r) => r.url.startsWith('/api/v1/'));
/** Fastify's ":param" to OpenAPI's "{param}". */
const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const isErrorRef = (r: any) => r?.content?.['application/json']?.schema?.$ref?.includes('ErrorResponse') || JSON.stringify(r ?? {}).includes('ErrorResponse');

describe('OpenAPI document and operational endpoints', () => {
  let t: TestApp;
  let doc: any;
  before(async () => {
    t = await startTestApp('sqlite');
    const res = await t.app.http.inject({ method: 'GET', url: '/api/docs/json' });
    assert.equal(res.statusCode, 200);
    doc = JSON.parse(res.body);
  });
  after(async () => t?.close());

  test('it is OpenAPI 3 with the one error shape as a component', () => {
    assert.match(doc.openapi, /^3\./);
    const schemas = doc.components?.schemas ?? {};
    const error = Object.values(schemas).find((s: any) => s?.properties?.error?.properties?.code) as any;
    assert.ok(error, 'components.schemas holds the error shape');
    assert.deepEqual(error.properties.error.required.sort(), ['code', 'message']);
  });

  test('the route collector found the API routes', () => {
    assert.ok(routes.length > 50, `only ${routes.length} routes`);
  });

  test('every API route is documented with a summary, a success response and its error responses', () => {
    const problems: string[] = [];
    for (const route of routes) {
      const op = doc.paths?.[openapiPath(route.url)]?.[route.method.toLowerCase()];
      const name = `${route.method} ${route.url}`;
      if (!op) {
        problems.push(`${name}: missing from the document`);
        continue;
      }
      if (!op.summary) problems.push(`${name}: no summary`);
      const statuses = Object.keys(op.responses ?? {});
      if (!statuses.some((s) => /^2\d\d$/.test(s))) problems.push(`${name}: no 2xx response`);
      const errors = statuses.filter((s) => /^[45]\d\d$/.test(s));
      if (errors.length === 0) problems.push(`${name}: no error response`);
      for (const s of errors) if (!isErrorRef(op.responses[s])) problems.push(`${name}: ${s} does not use the error shape`);
      // Signed-in routes say 401; tenant-scoped ones also 403 (roles) and 404 (another tenant).
      if (!route.public && !statuses.includes('401')) problems.push(`${name}: 401 not documented`);
      // (403 only where some role lacks the permission: every role may read tenants.)
      if (route.permission) {
        const needed = ROLES.every((r) => roleGrants(r, route.permission!)) ? ['404'] : ['403', '404'];
        for (const s of needed) if (!statuses.includes(s)) problems.push(`${name}: ${s} not documented`);
      }
      if (route.bodySchema) {
        if (!op.requestBody?.content?.['application/json']?.schema) problems.push(`${name}: body schema not documented`);
        if (!statuses.includes('400')) problems.push(`${name}: takes a body but 400 is not documented`);
      }
      const pathParams = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name).sort();
      if (JSON.stringify(pathParams) !== JSON.stringify([...route.params].sort())) problems.push(`${name}: path parameters ${pathParams} ≠ ${route.params}`);
    }
    assert.deepEqual(problems, []);
  });

  test('/healthz, /readyz and /metrics answer without signing in', async () => {
    const health = await t.app.http.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.equal(JSON.parse(health.body).status, 'ok');
    const ready = await t.app.http.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(JSON.parse(ready.body).status, 'ready');
    await t.call('GET', '/api/v1/tenants');
    const metrics = await t.app.http.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(String(metrics.headers['content-type']), /text\/plain/);
    assert.match(metrics.body, /^xdrhub_http_request_duration_seconds_count\{.*route="\/api\/v1\/tenants".*\} \d+/m);
    assert.match(metrics.body, /^xdrhub_process_cpu_user_seconds_total /m);
  });
});
