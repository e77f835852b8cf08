import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { createTestCa } from '../../../test/support/tls.ts';
import { startKasapSimulator, type KasapSimulator } from '../../../simulators/kasap/index.ts';
import { REPORT_BATCH, tokenAge } from './client.ts';

// KASAP end to end against simulators/kasap (the contract of docs/connectors/kasap.md) over
// HTTPS with a private CA: settings and check through the HTTP API, actions through
// IntegrationsService.runAction, token problems in words, and a secret canary.
const TOKEN = 'kasap-canary-token-9c1d4e7f2a';

describe('KASAP connector against the simulator', () => {
  let t: TestApp;
  let sim: KasapSimulator;
  let ca: Awaited<ReturnType<typeof createTestCa>>;
  let tenantId: string;
  let instanceId: string;
  const outputs: unknown[] = [];
  const errors: string[] = [];

  const config = (more: Record<string, unknown> = {}) => ({ openapiUrl: sim.url, adminEmail: 'sec-admin@corp.example', caCertificate: ca.cert, timeoutSeconds: 5, ...more });
  async function run(action: string, target: { kind: 'account' | 'none'; value: string; attributes?: Record<string, unknown> }, params: Record<string, unknown> = {}, id = instanceId) {
    try {
      const r = await t.app.services.integrations.runAction(tenantId, id, action, target, params);
      outputs.push(r);
      return r;
    } catch (err) {
      errors.push((err as Error).message);
      throw err;
    }
  }

  before(async () => {
    ca = await createTestCa();
    const leaf = await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    sim = await startKasapSimulator({ tls: leaf });
    sim.addToken(TOKEN);
    sim.addUser({
      userId: 'u-alice',
      email: 'Alice@Corp.example',
      fullName: 'Alice Smith',
      groupId: 'grp-beginners',
      courses: [
        { courseId: 'c-email', status: 'completed', progress: 100, completedAt: '2026-10-01T10:00:00Z' },
        { courseId: 'c-passwords', status: 'inProgress', progress: 40 },
      ],
      certificates: [{ id: 'cert-1', courseId: 'c-email', issuedAt: '2026-10-01T10:00:00Z' }],
    });
    sim.addUser({ userId: 'u-bob', email: 'bob@corp.example', groupId: null });
    t = await startTestApp('sqlite');
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'KASAP customer' })).body.id;
    const created = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'kasap', name: 'KASAP', config: config(), secrets: { token: TOKEN } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    instanceId = created.body.id;
  });
  after(async () => {
    await t?.close();
    await sim?.close();
  });

  test('settings are validated: https URL, administrator e-mail, issue date', async () => {
    const bad = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'kasap', name: 'bad', config: config({ openapiUrl: 'http://kasap.example' }), secrets: { token: TOKEN } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /openapiUrl/);
    const mail = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'kasap', name: 'bad', config: config({ adminEmail: 'not-an-email' }), secrets: { token: TOKEN } });
    assert.equal(mail.status, 400);
    assert.match(JSON.stringify(mail.body), /adminEmail/);
    const date = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'kasap', name: 'bad', config: config({ tokenIssuedAt: 'last spring' }), secrets: { token: TOKEN } });
    assert.equal(date.status, 400);
  });

  test('check connection reads groups and proves the report right, with the token age unknown', async () => {
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`);
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.equal(res.body.details.groups, 3);
    assert.equal(res.body.details.tokenIssuedAt, 'unknown');
    assert.match(res.body.message, /token age unknown/);
    const last = sim.calls.at(-1)!;
    assert.deepEqual([last.method, last.path, last.body], ['POST', '/openapi/v1/report', { emails: [] }]);
    assert.equal(last.authorization, `Bearer ${TOKEN}`);
  });

  test('check warns from month 11 of the token and after expiry', async () => {
    const draft = (issued: string) => t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'kasap', instanceId, config: config({ tokenIssuedAt: issued }) });
    const day = (monthsAgo: number, extraDays = 0) => {
      const d = new Date();
      d.setUTCMonth(d.getUTCMonth() - monthsAgo);
      d.setUTCDate(d.getUTCDate() - extraDays);
      return d.toISOString().slice(0, 10);
    };
    const young = await draft(day(3));
    assert.equal(young.body.ok, true);
    assert.equal(young.body.details.tokenWarning, null);
    assert.match(young.body.message, /token 3 month\(s\) old/);
    const eleventh = await draft(day(10, 2));
    assert.equal(eleventh.body.ok, true);
    assert.match(eleventh.body.message, /WARNING: the token expires on .*reissue it in KASAP/);
    const old = await draft(day(13));
    assert.match(old.body.details.tokenWarning, /expired on/);
  });

  test('token age arithmetic', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    assert.deepEqual(tokenAge(undefined, now), { issuedAt: null, ageMonths: null, expiresAt: null, warning: null });
    assert.equal(tokenAge('2026-01-29', now).ageMonths, 9);
    assert.equal(tokenAge('2026-01-29', now).warning, null);
    assert.equal(tokenAge('2026-01-28', now).ageMonths, 10);
    assert.match(tokenAge('2026-01-28', now).warning!, /expires on 2027-01-28, in 61 day/);
    assert.match(tokenAge('2025-11-28', now).warning!, /expired on 2026-11-28/);
  });

  test('token problems are reported in words that say what to do', async () => {
    const draft = (token: string) => t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'kasap', config: config(), secrets: { token } });
    sim.addToken('expired-token-1', 'expired');
    sim.addToken('revoked-token-1', 'revoked');
    sim.addToken('no-report-right', 'valid', ['groups', 'user']);
    const expired = await draft('expired-token-1');
    assert.deepEqual([expired.body.ok, expired.body.stage], [false, 'authenticate']);
    assert.match(expired.body.message, /expired \(tokens last 12 months\).*Reissue token/);
    const revoked = await draft('revoked-token-1');
    assert.match(revoked.body.message, /revoked \(KASAP revokes tokens unused for 6 months.*New token/);
    const unknown = await draft('never-issued-token');
    assert.match(unknown.body.message, /whole token was copied/);
    const noRight = await draft('no-report-right');
    assert.deepEqual([noRight.body.ok, noRight.body.stage], [false, 'authorize']);
    assert.match(noRight.body.message, /lacks the right for POST \/openapi\/v1\/report: reissue it with the rights/);
  });

  test('lookup: group, completed and in-progress courses, certificates; by value or attributes.email', async () => {
    const r = await run('lookup', { kind: 'account', value: 'alice@corp.example' });
    assert.equal(r.output!.found, true);
    assert.deepEqual(r.output!.group, { id: 'grp-beginners', name: 'Beginners' });
    assert.deepEqual(r.output!.completed, [{ id: 'c-email', name: 'Email security', completedAt: '2026-10-01T10:00:00Z' }]);
    assert.deepEqual(r.output!.inProgress, [{ id: 'c-passwords', name: 'Passwords and accounts', progress: 40 }]);
    assert.deepEqual(r.output!.certificates, [{ id: 'cert-1', course: 'Email security', issuedAt: '2026-10-01T10:00:00Z' }]);
    const byAttr = await run('lookup', { kind: 'account', value: 'asmith', attributes: { email: 'ALICE@corp.example' } });
    assert.equal(byAttr.output!.userId, 'u-alice');
    await assert.rejects(run('lookup', { kind: 'account', value: 'asmith' }), /has no e-mail address/);
  });

  test('"not found in KASAP" is a successful, clear result', async () => {
    const r = await run('lookup', { kind: 'account', value: 'nobody@corp.example' });
    assert.deepEqual(r.output, { found: false, email: 'nobody@corp.example' });
    assert.match(r.summary, /is not a KASAP user/);
    const move = await run('assignGroup', { kind: 'account', value: 'nobody@corp.example' }, { groupId: 'grp-advanced' });
    assert.equal(move.output!.found, false);
    assert.equal(move.output!.changed, false);
  });

  test('listGroups returns groups with their courses', async () => {
    const r = await run('listGroups', { kind: 'none', value: '' });
    const groups = r.output!.groups as { id: string; courses: unknown[] }[];
    assert.deepEqual(groups.map((g) => g.id), ['grp-beginners', 'grp-advanced', 'grp-remediation']);
    assert.equal(groups[2].courses.length, 1);
  });

  test('assignGroup moves the user, records the previous group, notifies the admin; restoreGroup undoes it', async () => {
    const r = await run('assignGroup', { kind: 'account', value: 'alice@corp.example' }, { groupId: 'grp-remediation' });
    assert.equal(r.output!.changed, true);
    assert.equal(r.output!.previousGroupId, 'grp-beginners');
    assert.deepEqual(r.output!.undoParams, { groupId: 'grp-beginners' });
    assert.equal(sim.user('alice@corp.example')!.groupId, 'grp-remediation');
    assert.deepEqual(sim.notifications.at(-1), { to: 'sec-admin@corp.example', userId: 'u-alice', groupId: 'grp-remediation' });
    const patch = sim.calls.find((c) => c.method === 'PATCH')!;
    assert.equal(patch.path, '/openapi/v1/user/u-alice');
    const after = await run('lookup', { kind: 'account', value: 'alice@corp.example' });
    assert.deepEqual((after.output!.planned as { id: string }[]).map((c) => c.id), ['c-phishing']);
    const again = await run('assignGroup', { kind: 'account', value: 'alice@corp.example' }, { groupId: 'grp-remediation' });
    assert.equal(again.output!.changed, false);
    const undo = await run('restoreGroup', { kind: 'account', value: 'alice@corp.example' }, r.output!.undoParams as Record<string, unknown>);
    assert.equal(undo.output!.changed, true);
    assert.equal(sim.user('alice@corp.example')!.groupId, 'grp-beginners');
    await assert.rejects(run('assignGroup', { kind: 'account', value: 'alice@corp.example' }, { groupId: 'grp-nope' }), /no learning group "grp-nope"/);
  });

  test('the undo pair is declared in the catalogue', async () => {
    const entries = await t.app.services.integrations.catalogue(tenantId);
    const assign = entries.find((e) => e.type === 'kasap' && e.action === 'assignGroup')!;
    assert.equal(assign.undo, 'restoreGroup');
  });

  test('reports for many accounts go out in batches', async () => {
    for (let i = 0; i < 250; i++) sim.addUser({ email: `user${i}@corp.example`, groupId: 'grp-advanced' });
    const emails = [...Array.from({ length: 250 }, (_, i) => `user${i}@corp.example`), 'ghost@corp.example'];
    const before = sim.calls.length;
    const r = await run('reportAccounts', { kind: 'none', value: '' }, { emails });
    const reportCalls = sim.calls.slice(before).filter((c) => c.path === '/openapi/v1/report');
    assert.equal(reportCalls.length, Math.ceil(251 / REPORT_BATCH));
    assert.ok(reportCalls.every((c) => (c.body as { emails: string[] }).emails.length <= REPORT_BATCH));
    assert.equal((r.output!.users as unknown[]).length, 250);
    assert.deepEqual(r.output!.notFound, ['ghost@corp.example']);
  });

  test('a transient failure is retried; latency within the timeout is fine', async () => {
    sim.failNext(503, 1);
    sim.setLatency(50);
    const r = await run('lookup', { kind: 'account', value: 'bob@corp.example' });
    sim.setLatency(0);
    assert.equal(r.output!.found, true);
    assert.equal(r.output!.group, null);
    sim.failNext(500, 10);
    await assert.rejects(run('lookup', { kind: 'account', value: 'bob@corp.example' }), /KASAP failed .* try again later/);
    sim.failNext(500, 0);
  });

  test('secret canary: the token appears in no result, error, log or API answer', async () => {
    const api = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`);
    const haystack = JSON.stringify(outputs) + errors.join('\n') + t.logs.text() + JSON.stringify(api.body);
    assert.ok(outputs.length > 5 && errors.length > 2);
    assert.equal(haystack.includes(TOKEN), false);
    assert.equal(haystack.includes(TOKEN.slice(6, 24)), false);
  });
});
