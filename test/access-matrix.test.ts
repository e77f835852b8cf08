/**
 * The access matrix of SPEC.md §1, generated — never written per route. The routes come from the
 * app itself (the onRoute build option), the expectations from PERMISSION_ROLES (checked against
 * the SPEC table below), and every route × role × placement of the role is one request.
 *
 * Tree built in `before`:   Root ─ A ─┬─ A1 (the target) ─ A1x (child of the target)
 *                                      └─ A2 (sibling of the target)
 * A role on A1 (self) or A (parent, inherited) applies to A1; a role on A2 (sibling) or A1x
 * (below the target) does not, and then A1 must be invisible (404), not merely forbidden.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PERMISSION_ROLES, ROLES, roleGrants, type Permission, type Role } from '../src/access/permissions.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { collectRoutes, fillUrl, PLACEHOLDER_UUID, type RouteInfo } from './support/routes.ts';

const routes = await collectRoutes();
const apiRoutes = routes.filter((r) => r.url.startsWith('/api/v1/'));
const guarded = apiRoutes.filter((r): r is RouteInfo & { permission: Permission } => !!r.permission);

type Placement = 'self' | 'parent' | 'sibling' | 'child' | 'root';
interface Subject {
  role: Role;
  placement: Placement;
  token: string;
}
type Outcome = 'allowed' | 'forbidden' | 'invisible';

/** What SPEC.md §1 says must happen for this role, placed there, on a route needing `permission`. */
function expectedOutcome(role: Role, placement: Placement, permission: Permission): Outcome {
  if (placement === 'sibling' || placement === 'child') return 'invisible';
  return roleGrants(role, permission) ? 'allowed' : 'forbidden';
}

/**
 * A request that must not change anything: GETs run for real (placeholder ids make object
 * lookups miss); any other method carries a body of a content type no route accepts, so a
 * request that passes the onRequest authorization stops at body parsing with 415 — DELETE
 * /tenants/:tenantId can be probed on the fixture tenants without deleting them.
 */
async function probe(t: TestApp, method: string, url: string, token: string | undefined) {
  const isGet = method === 'GET';
  const res = await t.app.http.inject({
    method: method as 'GET',
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(isGet ? {} : { 'content-type': 'application/x-authz-probe' }) },
    payload: isGet ? undefined : 'probe',
  });
  let body: any;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, body, message: String(body?.error?.message ?? '') };
}

/** The observed outcome, or a description of what went wrong. */
function classify(method: string, res: { status: number; message: string }): Outcome | string {
  if (res.status === 404 && res.message === 'tenant not found') return 'invisible';
  if (res.status === 403) return 'forbidden';
  if (res.status === 401) return `unexpected 401 (${res.message})`;
  if (res.status === 404 && res.message.startsWith('no route')) return `no such route (${res.message})`;
  if (res.status >= 500) return `server error ${res.status} (${res.message})`;
  // Past authorization: non-GET probes must stop at body parsing; GETs may answer 200 or miss
  // the placeholder object ("integration not found" …).
  if (method !== 'GET' && res.status !== 415) return `expected the probe to reach body parsing (415), got ${res.status} (${res.message})`;
  return 'allowed';
}

// SPEC.md §1, copied verbatim: PERMISSION_ROLES must say the same, so the matrix generated from
// it tests the product's rules and not just itself.
const SPEC_TABLE = `
| read tenants | all |
| create / edit tenants | Main, Tenant admin, SOC admin |
| delete tenants | Main, Tenant admin |
| read integration settings (never secrets) | Main, Tenant admin, SOC admin, SOC manager, Junior, Tier 1, Tier 2 |
| edit integration settings, replace secrets, check connection | Main, Tenant admin, SOC admin |
| read alerts and incidents | Main, Tenant admin, SOC manager, Junior, Tier 1, Tier 2, Approver, Observer |
| edit alerts and incidents (assign, status, comment, link) | Main, Tenant admin, Junior, Tier 1, Tier 2 |
| launch response actions, enrich observables | Main, Tenant admin, Junior, Tier 1, Tier 2 |
| approve or reject response actions | Main, Approver, Tenant admin |
| create / edit playbooks | Main, SOC admin, Tenant admin, Tier 1, Tier 2 |
| launch playbooks | Main, Tenant admin, Junior, Tier 1, Tier 2 |
| read response history | Main, Tenant admin, SOC manager, Junior, Tier 1, Tier 2, Approver, Observer |
| manage users and role assignments | Main, Tenant admin, SOC admin |
| read audit log | Main, Tenant admin, SOC admin |
`;
const SPEC_ROW_PERMISSION: Record<string, Permission> = {
  'read tenants': 'tenants.read',
  'create / edit tenants': 'tenants.write',
  'delete tenants': 'tenants.delete',
  'read integration settings (never secrets)': 'integrations.read',
  'edit integration settings, replace secrets, check connection': 'integrations.write',
  'read alerts and incidents': 'alerts.read',
  'edit alerts and incidents (assign, status, comment, link)': 'alerts.write',
  'launch response actions, enrich observables': 'response.launch',
  'approve or reject response actions': 'response.approve',
  'create / edit playbooks': 'playbooks.write',
  'launch playbooks': 'playbooks.launch',
  'read response history': 'history.read',
  'manage users and role assignments': 'users.manage',
  'read audit log': 'audit.read',
};
const SPEC_ROLE_NAMES: Record<string, Role> = {
  Main: 'main',
  'Tenant admin': 'tenantAdmin',
  'SOC admin': 'socAdmin',
  'SOC manager': 'socManager',
  Junior: 'junior',
  'Tier 1': 'tier1',
  'Tier 2': 'tier2',
  Approver: 'approver',
  Observer: 'observer',
};

describe('access matrix (sqlite)', () => {
  let t: TestApp;
  const ids = {} as Record<'A' | 'A1' | 'A2' | 'A1x', string>;
  const subjects: Subject[] = [];
  let tenantAdminOfA1: string;
  /** Objects living on A2, for the cross-tenant object checks. */
  const onA2 = {} as { integration: string; integrationName: string; alert: string; incident: string; user: string };
  let cases = 0;

  before(async () => {
    t = await startTestApp('sqlite');
    const child = async (parentId: string, name: string) => {
      const res = await t.call('POST', `/api/v1/tenants/${parentId}/children`, { name });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    ids.A = await child(t.rootId, 'A');
    ids.A1 = await child(ids.A, 'A1');
    ids.A2 = await child(ids.A, 'A2');
    ids.A1x = await child(ids.A1, 'A1x');

    const placements: Array<[Exclude<Placement, 'root'>, string]> = [['self', ids.A1], ['parent', ids.A], ['sibling', ids.A2], ['child', ids.A1x]];
    const wanted: Array<{ role: Role; placement: Placement; tenantId: string }> = [{ role: 'main', placement: 'root', tenantId: t.rootId }];
    for (const role of ROLES) {
      // `main` is only assignable on Root: it is tested there, where it covers every tenant.
      if (role === 'main') continue;
      for (const [placement, tenantId] of placements) wanted.push({ role, placement, tenantId });
    }
    // scrypt hashing dominates user creation; it runs on the thread pool, so create in parallel.
    const created = await Promise.all(wanted.map(async (w) => ({ ...w, token: (await t.userWithRole(w.role, w.tenantId)).token })));
    subjects.push(...created.map(({ role, placement, token }) => ({ role, placement, token })));
    tenantAdminOfA1 = subjects.find((s) => s.role === 'tenantAdmin' && s.placement === 'self')!.token;

    onA2.integrationName = 'A2 hook';
    const integration = await t.call('POST', `/api/v1/tenants/${ids.A2}/integrations`, { type: 'webhook', name: onA2.integrationName, config: { url: 'https://127.0.0.1:1/a2' }, secrets: { headerValue: 'a2-secret' } });
    assert.equal(integration.status, 201, JSON.stringify(integration.body));
    onA2.integration = integration.body.id;
    const alert = await t.call('POST', `/api/v1/tenants/${ids.A2}/alerts`, { title: 'A2 alert', severity: 'low', source: 'matrix' });
    assert.equal(alert.status, 201, JSON.stringify(alert.body));
    onA2.alert = alert.body.id ?? alert.body.alert?.id;
    assert.ok(onA2.alert, `alert id in ${JSON.stringify(alert.body)}`);
    const incident = await t.call('POST', `/api/v1/tenants/${ids.A2}/incidents`, { title: 'A2 incident', severity: 'low' });
    assert.equal(incident.status, 201, JSON.stringify(incident.body));
    onA2.incident = incident.body.id;
    const user = await t.call('POST', `/api/v1/tenants/${ids.A2}/users`, { username: 'a2-user', password: 'A2-user-password-1', roles: ['observer'] });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    onA2.user = user.body.user.id;
  });
  after(async () => t?.close());

  test('PERMISSION_ROLES is the permission table of SPEC.md §1', () => {
    const fromSpec: Record<string, Role[]> = {};
    for (const line of SPEC_TABLE.trim().split('\n')) {
      const [, row, roles] = line.split('|').map((c) => c.trim());
      const permission = SPEC_ROW_PERMISSION[row];
      assert.ok(permission, `SPEC row "${row}" maps to a permission`);
      fromSpec[permission] = roles === 'all' ? [...ROLES] : roles.split(',').map((r) => SPEC_ROLE_NAMES[r.trim()]);
    }
    const sorted = (o: Record<string, readonly string[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...v].sort()]));
    assert.deepEqual(sorted(PERMISSION_ROLES), sorted(fromSpec));
  });

  test('every tenant-scoped route declares a known permission, and only tenant-scoped routes do', () => {
    assert.ok(guarded.length >= 40, `the route collector found the permission routes (${guarded.length})`);
    for (const r of apiRoutes) {
      const scoped = r.params[0] === 'tenantId';
      // Without a permission the auth hook never resolves :tenantId, so the handler would run
      // on a tenant nobody checked.
      assert.equal(!!r.permission, scoped, `${r.method} ${r.url}: permission ${r.permission ?? 'none'}`);
      if (r.permission) assert.ok(r.permission in PERMISSION_ROLES, `${r.method} ${r.url}: unknown permission ${r.permission}`);
    }
  });

  for (const route of guarded) {
    test(`${route.method} ${route.url} needs ${route.permission}`, async () => {
      const url = fillUrl(route, { tenantId: ids.A1 });
      const mismatches: string[] = [];
      for (const s of subjects) {
        const expected = expectedOutcome(s.role, s.placement, route.permission);
        const got = classify(route.method, await probe(t, route.method, url, s.token));
        cases++;
        if (got !== expected) mismatches.push(`${s.role} on ${s.placement}: expected ${expected}, got ${got}`);
      }
      assert.deepEqual(mismatches, []);
    });
  }

  test('without a valid token every /api/v1 route but sign-in answers 401', async () => {
    const failures: string[] = [];
    for (const route of apiRoutes) {
      const url = fillUrl(route, { tenantId: ids.A1 });
      if (route.method === 'POST' && route.url === '/api/v1/auth/login') {
        // Public: it reaches body validation without any credentials.
        const res = await t.app.http.inject({ method: 'POST', url, payload: {} });
        if (res.statusCode !== 400) failures.push(`${route.method} ${route.url}: sign-in without a token should reach validation (400), got ${res.statusCode}`);
        continue;
      }
      for (const token of [undefined, 'xdrh_not-a-real-token']) {
        const res = await probe(t, route.method, url, token);
        cases++;
        if (res.status !== 401) failures.push(`${route.method} ${route.url} (${token ? 'bad token' : 'no token'}): ${res.status} ${res.message}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test("another tenant's object is always 404, even for Main and the target's Tenant admin", async () => {
    const base = `/api/v1/tenants/${ids.A1}`;
    const requests: Array<[string, string, unknown?]> = [
      ['GET', `${base}/integrations/${onA2.integration}`],
      ['PATCH', `${base}/integrations/${onA2.integration}`, { name: 'hijacked' }],
      ['PUT', `${base}/integrations/${onA2.integration}/secrets`, { values: { headerValue: 'hijacked' } }],
      ['POST', `${base}/integrations/${onA2.integration}/check`],
      ['POST', `${base}/integrations/${onA2.integration}/enable`],
      ['POST', `${base}/integrations/${onA2.integration}/disable`],
      ['POST', `${base}/integrations/check`, { type: 'webhook', config: { url: 'https://127.0.0.1:1/x' }, instanceId: onA2.integration }],
      ['DELETE', `${base}/integrations/${onA2.integration}`],
      ['GET', `${base}/alerts/${onA2.alert}`],
      ['PATCH', `${base}/alerts/${onA2.alert}`, { severity: 'high' }],
      ['POST', `${base}/alerts/${onA2.alert}/comments`, { text: 'hijacked' }],
      ['GET', `${base}/incidents/${onA2.incident}`],
      ['PATCH', `${base}/incidents/${onA2.incident}`, { severity: 'high' }],
      ['POST', `${base}/incidents/${onA2.incident}/comments`, { text: 'hijacked' }],
      ['GET', `${base}/users/${onA2.user}`],
      ['PATCH', `${base}/users/${onA2.user}`, { displayName: 'hijacked' }],
      ['DELETE', `${base}/users/${onA2.user}`],
    ];
    const failures: string[] = [];
    for (const [who, token] of [['Main', t.adminToken], ['Tenant admin of A1', tenantAdminOfA1]] as const) {
      for (const [method, url, body] of requests) {
        const res = await t.call(method, url, body, token);
        cases++;
        if (res.status !== 404) failures.push(`${who}: ${method} ${url} → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    assert.deepEqual(failures, []);

    // Nothing leaked through: the objects on A2 are exactly as created.
    const integration = await t.call('GET', `/api/v1/tenants/${ids.A2}/integrations/${onA2.integration}`);
    assert.equal(integration.status, 200);
    assert.equal(integration.body.name, onA2.integrationName);
    assert.equal(integration.body.enabled, true);
    assert.equal(integration.body.lastCheck, null, 'no check ran on it');
    assert.equal(await t.app.services.vault.get({ tenantId: ids.A2, ownerKind: 'integration', ownerId: onA2.integration }, 'headerValue'), 'a2-secret');
    const alert = await t.call('GET', `/api/v1/tenants/${ids.A2}/alerts/${onA2.alert}`);
    assert.equal(alert.body.severity, 'low');
    assert.deepEqual(alert.body.comments, []);
    const incident = await t.call('GET', `/api/v1/tenants/${ids.A2}/incidents/${onA2.incident}`);
    assert.equal(incident.body.severity, 'low');
    const user = await t.call('GET', `/api/v1/tenants/${ids.A2}/users/${onA2.user}`);
    assert.equal(user.status, 200);
    assert.notEqual(user.body.displayName, 'hijacked');
  });

  test("a Tenant admin of A1 gets 404 on every route of its sibling A2", async () => {
    const failures: string[] = [];
    for (const route of guarded) {
      // Real A2 object ids where the route has one, so only the tenant check can refuse.
      const objectId = route.url.includes('/integrations/') ? onA2.integration : route.url.includes('/alerts/') ? onA2.alert : route.url.includes('/incidents/') ? onA2.incident : PLACEHOLDER_UUID;
      const url = fillUrl(route, { tenantId: ids.A2, id: objectId, userId: onA2.user });
      const res = await probe(t, route.method, url, tenantAdminOfA1);
      cases++;
      if (res.status !== 404 || res.message !== 'tenant not found') failures.push(`${route.method} ${url} → ${res.status} ${res.message}`);
    }
    assert.deepEqual(failures, []);
  });

  test('summary', (ctx) => {
    const expectedMatrix = guarded.length * subjects.length;
    ctx.diagnostic(`${guarded.length} permission routes × ${subjects.length} role placements = ${expectedMatrix} matrix cases; ${cases} requests checked in all`);
    assert.ok(cases > expectedMatrix, 'the matrix and the extra checks all ran');
  });
});
