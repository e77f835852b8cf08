import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { createTestCa } from '../../../test/support/tls.ts';
import { startKasapSimulator, type KasapSimulator } from '../../../simulators/kasap/index.ts';
import { REPORT_BATCH, tokenAge, tokenUse } from './client.ts';

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

  test('check connection reads groups and proves the report right; without an issue date the age counts from when the token was set', async () => {
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`);
    outputs.push(res.body);
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.equal(res.body.details.groups, 3);
    assert.equal(res.body.details.tokenIssuedAt, 'unknown');
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(res.body.details.tokenSetInXdrhubAt, today);
    assert.equal(res.body.details.tokenAgeBasis, 'set');
    assert.equal(res.body.details.tokenAgeMonths, 0);
    assert.equal(res.body.details.tokenWarning, null);
    assert.ok(res.body.message.includes(`token set in xdrhub on ${today}; KASAP's issue date not entered`), res.body.message);
    // A token typed into a draft check has no set time yet.
    const draft = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'kasap', config: config(), secrets: { token: TOKEN } });
    assert.equal(draft.body.ok, true);
    assert.match(draft.body.message, /token age unknown: it is not saved yet/);
    assert.equal(draft.body.details.tokenAgeBasis, null);
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
    assert.match(young.body.message, /token issued on \d{4}-\d\d-\d\d, 3 month\(s\) old/);
    assert.equal(young.body.details.tokenAgeBasis, 'issued');
    const eleventh = await draft(day(10, 2));
    assert.equal(eleventh.body.ok, true);
    assert.match(eleventh.body.message, /WARNING: the token \(issued on [\d-]+\) expires on .*reissue it in KASAP/);
    const old = await draft(day(13));
    assert.match(old.body.details.tokenWarning, /expired on/);
  });

  test('token age arithmetic', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    assert.deepEqual(tokenAge(undefined, now), { basis: null, issuedAt: null, ageMonths: null, expiresAt: null, warning: null });
    assert.deepEqual(tokenAge(undefined, now, null), { basis: null, issuedAt: null, ageMonths: null, expiresAt: null, warning: null });
    assert.equal(tokenAge('2026-01-29', now).ageMonths, 9);
    assert.equal(tokenAge('2026-01-29', now).warning, null);
    assert.equal(tokenAge('2026-01-28', now).ageMonths, 10);
    assert.match(tokenAge('2026-01-28', now).warning!, /expires on 2027-01-28, in 61 day/);
    assert.match(tokenAge('2025-11-28', now).warning!, /expired on 2026-11-28/);
    // The issue date wins over the set time; without it the set time is the basis (a lower bound on age).
    const setAt = Date.parse('2026-01-28T09:30:00Z');
    assert.equal(tokenAge('2026-06-01', now, setAt).basis, 'issued');
    const bySet = tokenAge(undefined, now, setAt);
    assert.deepEqual([bySet.basis, bySet.issuedAt, bySet.ageMonths, bySet.expiresAt], ['set', '2026-01-28', 10, '2027-01-28']);
    assert.match(bySet.warning!, /token \(set in xdrhub on 2026-01-28; KASAP's issue date not entered\) expires on 2027-01-28 at the latest.*enter its issue date/);
    assert.equal(tokenAge(undefined, now, Date.parse('2026-01-29T00:00:00Z')).warning, null);
    assert.match(tokenAge(undefined, now, Date.parse('2025-11-01T00:00:00Z')).warning!, /has expired, on 2026-11-01 at the latest/);
  });

  test('unused-token arithmetic: from the last use, else from the set time; warns from month 5', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    assert.deepEqual(tokenUse(null, null, now), { lastUsedAt: null, idleSince: null, idleMonths: null, revokedIfUnusedBy: null, warning: null });
    const recent = tokenUse(Date.parse('2026-07-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'), now);
    assert.deepEqual([recent.lastUsedAt, recent.idleMonths, recent.revokedIfUnusedBy, recent.warning], ['2026-07-01', 4, '2027-01-01', null]);
    const idle = tokenUse(Date.parse('2026-06-27T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'), now);
    assert.equal(idle.idleMonths, 5);
    assert.match(idle.warning!, /last used the token on 2026-06-27, 5 month\(s\) ago: KASAP revokes tokens unused for 6 months, on about 2026-12-27/);
    const never = tokenUse(null, Date.parse('2026-06-01T00:00:00Z'), now);
    assert.equal(never.lastUsedAt, null);
    assert.match(never.warning!, /has not used the token since it was set on 2026-06-01.*KASAP revokes tokens unused for 6 months/);
    assert.match(tokenUse(Date.parse('2026-05-01T00:00:00Z'), null, now).warning!, /may be revoked already/);
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

  describe('token set time and last use (stored times moved back)', () => {
    let clockId: string;
    const DAY = 86_400_000;
    // N calendar months back (the day clamped to 28 so that no month overflows), minus extra days.
    const monthsAgo = (months: number, extraDays = 0) => {
      const d = new Date();
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - months, Math.min(d.getUTCDate(), 28), d.getUTCHours(), d.getUTCMinutes()) - extraDays * DAY;
    };
    const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const setTimes = (times: { updated_at?: number; used_at?: number | null }) =>
      t.app.services.database.db.updateTable('secrets').set(times).where('owner_id', '=', clockId).where('field', '=', 'token').execute();
    const stored = async () => (await t.app.services.vault.describe({ tenantId, ownerKind: 'integration', ownerId: clockId }))[0];
    const view = async () => (await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${clockId}`)).body;
    const check = async () => {
      const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${clockId}/check`);
      outputs.push(res.body);
      return res.body;
    };

    before(async () => {
      const created = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'kasap', name: 'KASAP clock', config: config(), secrets: { token: TOKEN } });
      assert.equal(created.status, 201);
      clockId = created.body.id;
    });

    test('without an issue date, month 11 counted from the set time warns in the check and the instance view', async () => {
      const setAt = monthsAgo(10, 2);
      await setTimes({ updated_at: setAt, used_at: null });
      const v = await view();
      assert.equal(v.secrets[0].updatedAt, new Date(setAt).toISOString());
      assert.equal(v.status.details.tokenAgeBasis, 'set');
      assert.equal(v.status.details.tokenSetInXdrhubAt, isoDay(setAt));
      assert.ok(v.status.warnings.some((w: string) => w.includes(`the token (set in xdrhub on ${isoDay(setAt)}; KASAP's issue date not entered) expires on`)), JSON.stringify(v.status));
      const res = await check();
      assert.equal(res.ok, true);
      assert.ok(res.message.includes(`token set in xdrhub on ${isoDay(setAt)}; KASAP's issue date not entered`), res.message);
      assert.match(res.message, /WARNING: the token \(set in xdrhub on .* at the latest/);
      assert.equal(res.details.tokenAgeMonths, 10);
      // The stored check shows the same in the instance view.
      const after = await view();
      assert.match(after.lastCheck.message, /WARNING: the token \(set in xdrhub/);
      assert.equal(after.lastCheck.details.tokenAgeBasis, 'set');

      // Nine months: no warning yet. An entered issue date takes over from the set time.
      await setTimes({ updated_at: monthsAgo(9) });
      assert.equal((await view()).status.details.tokenWarning, null);
      const draft = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'kasap', instanceId: clockId, config: config({ tokenIssuedAt: isoDay(monthsAgo(11)) }) });
      assert.equal(draft.body.details.tokenAgeBasis, 'issued');
      assert.match(draft.body.message, /WARNING: the token \(issued on .*\) expires on/);
    });

    test('a successful call records the last use, at most once a day; a refused one does not', async () => {
      await setTimes({ updated_at: monthsAgo(1), used_at: null });
      const started = Date.now();
      await run('lookup', { kind: 'account', value: 'bob@corp.example' }, {}, clockId);
      const first = (await stored()).usedAt!;
      assert.ok(first >= started, 'the lookup recorded a use');
      assert.equal((await view()).secrets[0].lastUsedAt, new Date(first).toISOString());

      // Used an hour ago: further calls today write nothing.
      const hourAgo = Date.now() - 3_600_000;
      await setTimes({ used_at: hourAgo });
      await run('listGroups', { kind: 'none', value: '' }, {}, clockId);
      await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${clockId}/check`);
      assert.equal((await stored()).usedAt, hourAgo);
      // Used two days ago: the next call records today.
      await setTimes({ used_at: Date.now() - 2 * DAY });
      await run('listGroups', { kind: 'none', value: '' }, {}, clockId);
      assert.ok((await stored()).usedAt! >= Date.now() - 60_000);

      // KASAP refusing the token is no use of it.
      sim.addToken('revoked-clock-token', 'revoked');
      await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${clockId}/secrets`, { values: { token: 'revoked-clock-token' } });
      await assert.rejects(run('listGroups', { kind: 'none', value: '' }, {}, clockId), /revoked/);
      assert.equal((await stored()).usedAt, null);
      // Draft checks leave nothing behind, the use time included.
      await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${clockId}/secrets`, { values: { token: TOKEN } });
      const draft = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'kasap', instanceId: clockId, config: config() });
      assert.equal(draft.body.ok, true);
      assert.equal((await stored()).usedAt, null);
    });

    test('unused for 5 months: the instance view warns; the check says so and counts as use', async () => {
      const usedAt = monthsAgo(5, 3);
      await setTimes({ updated_at: monthsAgo(8), used_at: usedAt });
      const v = await view();
      assert.equal(v.status.details.tokenLastUsedAt, isoDay(usedAt));
      assert.equal(v.status.details.tokenUnusedMonths, 5);
      const warning = v.status.warnings.find((w: string) => /KASAP revokes tokens unused for 6 months/.test(w));
      assert.ok(warning, JSON.stringify(v.status));
      assert.ok(warning.includes(`xdrhub last used the token on ${isoDay(usedAt)}`));

      const res = await check();
      assert.equal(res.ok, true);
      assert.match(res.message, /WARNING: xdrhub had not used the token for 5 month\(s\) before this check .*KASAP revokes tokens unused for 6 months/);
      assert.equal(res.details.tokenLastUsedBeforeCheck, isoDay(usedAt));
      assert.equal(res.details.tokenLastUsedAt, new Date().toISOString().slice(0, 10));
      assert.match(res.details.tokenUnusedWarning, /KASAP revokes tokens unused for 6 months/);
      // The check used the token: the standing warning is gone.
      const after = await view();
      assert.equal(after.status.details.tokenUnusedWarning, null);
      assert.equal(after.status.warnings.length, 0, JSON.stringify(after.status));

      // Never used since it was set 5 months ago counts the same.
      await setTimes({ updated_at: monthsAgo(5, 1), used_at: null });
      assert.ok((await view()).status.warnings.some((w: string) => /has not used the token since it was set on .*KASAP revokes tokens unused for 6 months/.test(w)));
      // A refused token after long disuse: the refusal says why it may have happened.
      sim.addToken('revoked-idle-token', 'revoked');
      await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${clockId}/secrets`, { values: { token: 'revoked-idle-token' } });
      await setTimes({ updated_at: monthsAgo(7), used_at: null });
      const refused = await check();
      assert.deepEqual([refused.ok, refused.stage], [false, 'authenticate']);
      assert.match(refused.message, /it was revoked .*Also: xdrhub has not used the token since it was set on .*may be revoked already/);
      await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${clockId}/secrets`, { values: { token: TOKEN } });
    });

    test('a child tenant inherits the token with its set and use times', async () => {
      const setAt = monthsAgo(10, 5);
      const usedAt = monthsAgo(5, 2);
      await setTimes({ updated_at: setAt, used_at: usedAt });
      const child = await t.call('POST', `/api/v1/tenants/${tenantId}/children`, { name: 'KASAP grandchild' });
      const copies = await t.call('GET', `/api/v1/tenants/${child.body.id}/integrations?type=kasap`);
      const copy = copies.body.items.find((i: { name: string }) => i.name === 'KASAP clock');
      assert.equal(copy.secrets[0].updatedAt, new Date(setAt).toISOString());
      assert.equal(copy.secrets[0].lastUsedAt, new Date(usedAt).toISOString());
      assert.equal(copy.status.details.tokenSetInXdrhubAt, isoDay(setAt));
      assert.equal(copy.status.warnings.length, 2, JSON.stringify(copy.status));
      outputs.push(copies.body);
    });
  });

  test('secret canary: the token appears in no result, error, log or API answer', async () => {
    const api = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`);
    const haystack = JSON.stringify(outputs) + errors.join('\n') + t.logs.text() + JSON.stringify(api.body);
    assert.ok(outputs.length > 5 && errors.length > 2);
    // The token's dates were among what was searched (check details and the instance status).
    assert.ok(haystack.includes('tokenSetInXdrhubAt') && haystack.includes('tokenLastUsedAt'));
    assert.equal(haystack.includes(TOKEN), false);
    assert.equal(haystack.includes(TOKEN.slice(6, 24)), false);
  });
});
