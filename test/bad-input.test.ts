/**
 * Bad input, property-based: every write route that takes a body gets random bodies derived
 * from its own schema (valid ones, then broken: a required field dropped, a field of the wrong
 * type, an unknown field, huge or odd unicode strings, nested junk) and plain random JSON,
 * sent by the Main administrator against real path parameters. The server must answer 2xx or
 * 4xx, never 5xx, and a 400 must name the failing field. Routes come from the app itself, so
 * a new write route is fuzzed without editing this file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestApp, type TestApp } from './support/app.ts';
import { collectRoutes, fillUrl, PLACEHOLDER_UUID, type RouteInfo } from './support/routes.ts';

// FUZZ_RUNS raises the count for a longer local hunt; the default keeps the file well under a minute.
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const routes = await collectRoutes();
const writeRoutes = routes.filter((r): r is RouteInfo & { bodySchema: Record<string, any> } => WRITE_METHODS.has(r.method) && !!r.bodySchema);

/** Ids of real objects on the fuzz tenant, so requests get past "not found" into the handlers. */
interface Fixtures {
  tenantId: string;
  integrationId: string;
  alertId: string;
  incidentId: string;
  userId: string;
  actionId: string;
  webhook: { configSchema: any; secretsSchema: any; actions: Array<{ name: string; targetKinds: string[] }> };
}

// Requests must stay local: a URL that validates goes to a closed port (connection refused at once).
const LOCAL_URL = 'https://127.0.0.1:1/hook';
const HUGE = 'x'.repeat(100_000);
const ODD_STRINGS = ['', ' ', '\u0000', '\ud800', 'a\udfffb', '\u202e\u200b', '🧨'.repeat(300), 'Ω≈ç√∫˜µ≤≥÷', '<script>alert(1)</script>', "'; drop table tenants; --", '../../etc/passwd', '%s%n', '\r\n\t', HUGE];
const oddString = fc.oneof(fc.constantFrom(...ODD_STRINGS), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 60 }));
const oddNumber = fc.constantFrom(0, -0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
/** Deeply nested arrays/objects (parsers and recursive validators must not blow up). */
const deepJunk = fc.integer({ min: 20, max: 400 }).map((depth) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { nested: v };
  return v;
});
const anyJson = fc.jsonValue({ maxDepth: 3 });
/** A value of some JSON type, usually not the declared one. */
const wrongValue = fc.oneof(fc.integer(), oddNumber, fc.boolean(), fc.constant(null), fc.array(anyJson, { maxLength: 3 }), fc.object({ maxDepth: 1 }), oddString, deepJunk);

/** An arbitrary of values that satisfy `schema` (the subset of JSON Schema TypeBox emits). */
function validArb(schema: any, fx: Fixtures, key?: string, depth = 0): fc.Arbitrary<unknown> {
  const special = key !== undefined ? semantic(key, fx) : undefined;
  const generic = genericValidArb(schema ?? {}, fx, depth);
  // Half the time a value that means something to the handler (a real id, a known type), so
  // the fuzz reaches past lookups into the deeper code paths.
  return special ? fc.oneof(special, generic) : generic;
}

function genericValidArb(schema: any, fx: Fixtures, depth: number): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if (Array.isArray(schema.anyOf)) return fc.oneof(...schema.anyOf.map((s: any) => genericValidArb(s, fx, depth)));
  if (depth > 4) return fc.constant(null);
  switch (schema.type) {
    case 'string': {
      const max = Math.min(schema.maxLength ?? 64, 64);
      const min = schema.minLength ?? 0;
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'email') return fc.emailAddress().filter((e) => e.length <= (schema.maxLength ?? 320));
      if (schema.format === 'date-time') return fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.format === 'uri') return fc.constant(LOCAL_URL);
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Infinity));
      return fc.string({ minLength: min, maxLength: Math.max(min, max) });
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validArb(schema.items, fx, undefined, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)) });
    case 'object': {
      if (schema.properties) {
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, s] of Object.entries(schema.properties)) model[k] = validArb(s, fx, k, depth + 1);
        return fc.record(model, { requiredKeys: schema.required ?? [] });
      }
      return fc.dictionary(fc.string({ maxLength: 12 }), anyJson, { maxKeys: 4 });
    }
    default:
      return anyJson; // Unknown: anything goes
  }
}

/** Meaningful values by property name: real ids, the webhook type and its settings. */
function semantic(key: string, fx: Fixtures): fc.Arbitrary<unknown> | undefined {
  switch (key) {
    case 'type':
      return fc.constant('webhook');
    case 'config':
      return genericValidArb(fx.webhook.configSchema, fx, 1);
    case 'secrets':
    case 'values':
      return genericValidArb(fx.webhook.secretsSchema, fx, 1);
    case 'instanceId':
      return fc.constant(fx.integrationId);
    case 'alertId':
      return fc.constant(fx.alertId);
    case 'alertIds':
      return fc.constant([fx.alertId]);
    case 'incidentId':
      return fc.constant(fx.incidentId);
    case 'tenantId':
      return fc.constant(fx.tenantId);
    case 'action':
      return fc.constantFrom(...fx.webhook.actions.map((a) => a.name));
    case 'kind':
      return fc.constantFrom(...fx.webhook.actions.flatMap((a) => a.targetKinds));
    default:
      return undefined;
  }
}

/** Bodies for a route: valid, broken in one place, or unrelated junk. */
function bodyArb(schema: any, fx: Fixtures): fc.Arbitrary<unknown> {
  const valid = validArb(schema, fx);
  const props = Object.keys(schema.properties ?? {});
  const required: string[] = schema.required ?? [];
  const asObject = valid.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
  const broken: fc.Arbitrary<unknown>[] = [
    // An unknown extra field.
    fc.tuple(asObject, fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !props.includes(k)), anyJson).map(([o, k, v]) => ({ ...o, [k]: v })),
    // Nested junk and arbitrary JSON in place of the body.
    anyJson,
    deepJunk,
    fc.object({ maxDepth: 3 }),
  ];
  if (props.length) {
    // One declared field with a wrong type, an odd string or junk.
    broken.push(fc.tuple(asObject, fc.constantFrom(...props), wrongValue).map(([o, k, v]) => ({ ...o, [k]: v })));
  }
  if (required.length) {
    // One required field missing.
    broken.push(fc.tuple(asObject, fc.constantFrom(...required)).map(([o, k]) => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k))));
  }
  return fc.oneof({ arbitrary: valid, weight: 2 }, ...broken.map((arbitrary) => ({ arbitrary, weight: 2 })));
}

/** Any problem with the response, or null when it is acceptable. */
function problemWith(res: { statusCode: number; body: string }): string | null {
  const s = res.statusCode;
  if (s >= 500) return `server error ${s}: ${res.body.slice(0, 500)}`;
  if (!((s >= 200 && s < 300) || (s >= 400 && s < 500))) return `unexpected status ${s}`;
  if (s < 400) return null;
  let body: any;
  try {
    body = JSON.parse(res.body);
  } catch {
    return `${s} without a JSON body: ${res.body.slice(0, 200)}`;
  }
  const err = body?.error;
  if (typeof err?.code !== 'string' || typeof err?.message !== 'string' || !err.message) return `${s} without {error:{code,message}}: ${res.body.slice(0, 300)}`;
  // Fastify's own malformed-body errors (invalid JSON, content type, size) name no field.
  if (s !== 400 || err.code.startsWith('fst_')) return null;
  const field = err.details?.field;
  if (typeof field !== 'string' || !field) return `400 without details.field: ${res.body.slice(0, 300)}`;
  if (!err.message.startsWith(`${field}:`)) return `400 message does not start with its field "${field}:": ${err.message.slice(0, 300)}`;
  return null;
}

describe('bad input (sqlite)', () => {
  let t: TestApp;
  let fx: Fixtures;
  let requests = 0;
  const statuses = new Map<number, number>();

  before(async () => {
    t = await startTestApp('sqlite');
    const ok = (res: { status: number; body: any }, status: number) => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      return res.body;
    };
    const tenantId = ok(await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Fuzz' }), 201).id;
    const types = ok(await t.call('GET', '/api/v1/connector-types'), 200);
    const webhook = types.items.find((i: any) => i.type === 'webhook');
    const integrationId = ok(await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'webhook', name: 'fuzz hook', config: { url: LOCAL_URL }, secrets: { headerValue: 'fuzz' } }), 201).id;
    const alert = ok(await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, { title: 'fuzz alert', severity: 'low', source: 'fuzz', observables: [{ type: 'ip', value: '10.0.0.1' }] }), 201);
    const incidentId = ok(await t.call('POST', `/api/v1/tenants/${tenantId}/incidents`, { title: 'fuzz incident', severity: 'low' }), 201).id;
    const userId = ok(await t.call('POST', `/api/v1/tenants/${tenantId}/users`, { username: 'fuzz-user', password: 'Fuzz-user-password-1', roles: ['observer'] }), 201).user.id;
    // An action awaiting approval: approve/reject/undo bodies reach a real history entry. The
    // job worker is not started, so nothing is ever sent.
    const action = webhook.actions.find((a: any) => a.targetKinds.includes('observable:ip'));
    const launch = ok(
      await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId: integrationId, action: action.name, params: {}, targets: [{ kind: 'observable:ip', value: '10.0.0.9' }], approval: { required: true } }),
      201,
    );
    fx = { tenantId, integrationId, alertId: alert.id ?? alert.alert?.id, incidentId, userId, actionId: launch.actions[0].id, webhook };
    assert.ok(fx.alertId, 'alert id');
  });
  after(async () => t?.close());

  /** Real ids for the route's path parameters, chosen by the collection the :id belongs to. */
  function urlFor(route: RouteInfo): string {
    const idByCollection: Record<string, string> = { integrations: fx.integrationId, alerts: fx.alertId, incidents: fx.incidentId, actions: fx.actionId };
    const collection = /\/([a-z]+)\/:id\b/.exec(route.url)?.[1] ?? '';
    return fillUrl(route, { tenantId: fx.tenantId, userId: fx.userId, id: idByCollection[collection] ?? PLACEHOLDER_UUID, alertId: fx.alertId });
  }

  async function send(method: string, url: string, payload: string | Buffer | undefined, contentType: string | undefined) {
    requests++;
    const res = await t.app.http.inject({
      method: method as 'POST',
      url,
      headers: { authorization: `Bearer ${t.adminToken}`, ...(contentType ? { 'content-type': contentType } : {}) },
      payload,
    });
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    return res;
  }

  test('the route collector found the write routes', () => {
    assert.ok(writeRoutes.length >= 20, `found ${writeRoutes.length}`);
  });

  for (const route of writeRoutes) {
    test(`${route.method} ${route.url}: random bodies give 2xx or a 4xx naming the field, never 5xx`, async () => {
      const url = urlFor(route);
      await fc.assert(
        fc.asyncProperty(bodyArb(route.bodySchema, fx), async (body) => {
          const res = await send(route.method, url, JSON.stringify(body), 'application/json');
          const problem = problemWith(res);
          if (problem) throw new Error(problem);
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }

  // Not JSON at all, broken JSON, prototype poisoning, wrong content types, too large: Fastify
  // refuses these before the handler, and the answer must still be a 4xx with the error shape.
  const RAW: Array<[string, string | Buffer | undefined, string | undefined]> = [
    ['truncated JSON', '{"name": "x"', 'application/json'],
    ['just a brace', '{', 'application/json'],
    ['empty JSON body', '', 'application/json'],
    ['the word undefined', 'undefined', 'application/json'],
    ['NaN literal', '{"name": NaN}', 'application/json'],
    ['trailing comma', '{"name": "x",}', 'application/json'],
    ['NUL byte', '\u0000', 'application/json'],
    ['__proto__ key', '{"__proto__": {"isAdmin": true}, "name": "x"}', 'application/json'],
    ['constructor.prototype key', '{"constructor": {"prototype": {"isAdmin": true}}, "name": "x"}', 'application/json'],
    ['JSON as text/plain', '{"name": "x"}', 'text/plain'],
    ['form encoding', 'name=x&type=webhook', 'application/x-www-form-urlencoded'],
    ['multipart', '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--', 'multipart/form-data; boundary=b'],
    ['XML', '<name>x</name>', 'application/xml'],
    ['no content type', '{"name": "x"}', undefined],
    ['UTF-16 bytes', Buffer.from('{"name": "x"}', 'utf16le'), 'application/json; charset=utf-16'],
    ['garbage content type', '{"name": "x"}', '}}}{{{'],
  ];

  test('malformed bodies and wrong content types give 4xx on every write route', async () => {
    const failures: string[] = [];
    for (const route of writeRoutes) {
      const url = urlFor(route);
      for (const [what, payload, contentType] of RAW) {
        const res = await send(route.method, url, payload, contentType);
        const problem = problemWith(res) ?? (res.statusCode < 400 ? `accepted with ${res.statusCode}` : null);
        if (problem) failures.push(`${route.method} ${route.url} — ${what}: ${problem}`);
      }
    }
    assert.deepEqual(failures, []);
    // The parsed __proto__ bodies polluted nothing.
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
  });

  test('a body over the size limit gives 413', async () => {
    const route = writeRoutes.find((r) => r.url.endsWith('/alerts/batch')) ?? writeRoutes[0];
    const res = await send(route.method, urlFor(route), JSON.stringify({ alerts: [{ title: 'x'.repeat(9 * 1024 * 1024) }] }), 'application/json');
    assert.equal(res.statusCode, 413);
    assert.equal(problemWith(res), null);
  });

  test('summary', (ctx) => {
    ctx.diagnostic(`${writeRoutes.length} write routes × ${NUM_RUNS} generated bodies + ${RAW.length} malformed bodies each: ${requests} requests`);
    ctx.diagnostic(`statuses: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    assert.ok(requests >= writeRoutes.length * (NUM_RUNS + RAW.length));
    // The generators reach the handlers (some bodies are valid), not only the validator.
    assert.ok([...statuses.keys()].some((s) => s >= 200 && s < 300), 'some generated bodies were accepted');
  });
});
