import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './support/app.ts';

function cookiesOf(headers: Record<string, unknown>): { header: string; raw: string[] } {
  const raw = ([] as string[]).concat((headers['set-cookie'] as string[]) ?? []);
  return { raw, header: raw.map((c) => c.split(';')[0]).join('; ') };
}

describe('sign-in, sessions, CSRF and API tokens', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite');
  });
  after(async () => t?.close());

  const login = (username: string, password: string) => t.app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

  test('the session cookie is HttpOnly and SameSite=Strict; the CSRF cookie is readable', async () => {
    const res = await login('admin', ADMIN_PASSWORD);
    assert.equal(res.statusCode, 200);
    const { raw } = cookiesOf(res.headers);
    const session = raw.find((c) => c.startsWith('xdrhub_session='))!;
    const csrf = raw.find((c) => c.startsWith('xdrhub_csrf='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    assert.doesNotMatch(csrf, /HttpOnly/);
    assert.match(csrf, /SameSite=Strict/);
  });

  test('cookie-authenticated writes need the CSRF token; reads do not', async () => {
    const res = await login('admin', ADMIN_PASSWORD);
    const { header } = cookiesOf(res.headers);
    const csrf = JSON.parse(res.body).csrfToken;
    const read = await t.app.http.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: header } });
    assert.equal(read.statusCode, 200);
    const body = { name: 'CSRF test' };
    const noToken = await t.app.http.inject({ method: 'POST', url: `/api/v1/tenants/${t.rootId}/children`, headers: { cookie: header }, payload: body });
    assert.equal(noToken.statusCode, 403);
    assert.match(JSON.parse(noToken.body).error.message, /CSRF/);
    const wrong = await t.app.http.inject({ method: 'POST', url: `/api/v1/tenants/${t.rootId}/children`, headers: { cookie: header, 'x-csrf-token': 'forged' }, payload: body });
    assert.equal(wrong.statusCode, 403);
    const ok = await t.app.http.inject({ method: 'POST', url: `/api/v1/tenants/${t.rootId}/children`, headers: { cookie: header, 'x-csrf-token': csrf }, payload: body });
    assert.equal(ok.statusCode, 201);
    const out = await t.app.http.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: header, 'x-csrf-token': csrf } });
    assert.equal(out.statusCode, 204);
    assert.equal((await t.app.http.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: header } })).statusCode, 401);
  });

  test('wrong passwords: the same answer for unknown users, then a lockout', async () => {
    const user = await t.userWithRole('observer', t.rootId);
    const me = await t.call('GET', '/api/v1/me', undefined, user.token);
    const name = me.body.user.username;
    assert.equal((await login('nobody-here', 'whatever-password')).statusCode, 401);
    for (let i = 0; i < 10; i++) assert.equal((await login(name, 'wrong-password-x')).statusCode, 401);
    const locked = await login(name, 'wrong-password-x');
    assert.equal(locked.statusCode, 429);
  });

  test('API tokens: shown once, stored hashed, listed without value, revocable, expiring', async () => {
    const created = await t.call('POST', '/api/v1/me/tokens', { name: 'script', expiresInDays: 30 });
    assert.equal(created.status, 201);
    const token = created.body.token as string;
    assert.match(token, /^xdrh_[0-9a-f]{32}_/);
    const list = await t.call('GET', '/api/v1/me/tokens');
    assert.ok(!JSON.stringify(list.body).includes(token.split('_')[2]));
    const rows = (await sql`select secret_hash from api_tokens`.execute(t.app.services.database.db)).rows as { secret_hash: string }[];
    assert.ok(rows.every((r) => !token.includes(r.secret_hash)));
    assert.equal((await t.call('GET', '/api/v1/me', undefined, token)).status, 200);

    await sql`update api_tokens set expires_at = 1 where id = ${created.body.id}`.execute(t.app.services.database.db);
    assert.equal((await t.call('GET', '/api/v1/me', undefined, token)).status, 401);

    const second = await t.call('POST', '/api/v1/me/tokens', { name: 'second' });
    assert.equal((await t.call('DELETE', `/api/v1/me/tokens/${second.body.id}`)).status, 204);
    assert.equal((await t.call('GET', '/api/v1/me', undefined, second.body.token)).status, 401);
    assert.equal((await t.call('GET', '/api/v1/me', undefined, 'xdrh_garbage')).status, 401);
    const tooLong = await t.call('POST', '/api/v1/me/tokens', { name: 'x', expiresInDays: 9999 });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error.details.field, 'body.expiresInDays');
  });

  test('own password: the current one is required, the new one follows the policy, other sessions end', async () => {
    const password = 'Self-service-pass-1';
    const created = await t.call('POST', `/api/v1/tenants/${t.rootId}/users`, { username: 'selfservice', password, roles: ['observer'] });
    assert.equal(created.status, 201);
    const a = await login('selfservice', password);
    const b = await login('selfservice', password);
    const session = (res: typeof a) => ({ cookie: cookiesOf(res.headers).header, 'x-csrf-token': JSON.parse(res.body).csrfToken as string });
    const change = (payload: Record<string, string>) => t.app.http.inject({ method: 'POST', url: '/api/v1/me/password', headers: session(a), payload });
    const wrong = await change({ currentPassword: 'not-my-password', newPassword: 'Another-pass-2026' });
    assert.equal(wrong.statusCode, 400);
    assert.equal(JSON.parse(wrong.body).error.details.field, 'currentPassword');
    const short = await change({ currentPassword: password, newPassword: 'short' });
    assert.equal(short.statusCode, 400);
    assert.equal(JSON.parse(short.body).error.details.field, 'newPassword');
    assert.equal((await change({ currentPassword: password, newPassword: 'Another-pass-2026' })).statusCode, 204);
    assert.equal((await t.app.http.inject({ method: 'GET', url: '/api/v1/me', headers: session(a) })).statusCode, 200, 'this session stays');
    assert.equal((await t.app.http.inject({ method: 'GET', url: '/api/v1/me', headers: session(b) })).statusCode, 401, 'the other one ends');
    assert.equal((await login('selfservice', password)).statusCode, 401);
    assert.equal((await login('selfservice', 'Another-pass-2026')).statusCode, 200);
    const audit = await t.call('GET', `/api/v1/tenants/${t.rootId}/audit?action=user.password.change`);
    assert.ok(audit.body.items.some((e: { targetId: string }) => e.targetId === created.body.user.id));
  });

  test('an administrator cannot lock themselves out: no self-disable, no self-delete, own password only with the current one', async () => {
    const me = (await t.call('GET', '/api/v1/me')).body.user.id as string;
    const url = `/api/v1/tenants/${t.rootId}/users/${me}`;
    const disable = await t.call('PATCH', url, { disabled: true });
    assert.equal(disable.status, 400);
    assert.equal(disable.body.error.details.field, 'disabled');
    const reset = await t.call('PATCH', url, { password: 'Admin-reset-pass-1' });
    assert.equal(reset.status, 400);
    assert.equal(reset.body.error.details.field, 'password');
    assert.equal((await t.call('DELETE', url)).status, 409);
    const renamed = await t.call('PATCH', url, { displayName: 'The Administrator', disabled: false });
    assert.equal(renamed.status, 200, 'the name and e-mail stay editable');
    assert.equal(renamed.body.displayName, 'The Administrator');
    assert.equal((await login('admin', ADMIN_PASSWORD)).statusCode, 200);
    // Another user's password and status remain the administrator's to set.
    const other = await t.userWithRole('observer', t.rootId);
    assert.equal((await t.call('PATCH', `/api/v1/tenants/${t.rootId}/users/${other.userId}`, { password: 'Reset-by-admin-1' })).status, 200);
  });

  test('role escalation is refused: a Tenant administrator cannot grant Main, a SOC administrator cannot grant Tenant administrator', async () => {
    const tenant = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Escalation' });
    const tadmin = await t.userWithRole('tenantAdmin', tenant.body.id);
    const socAdmin = await t.userWithRole('socAdmin', tenant.body.id);
    const victim = await t.userWithRole('observer', tenant.body.id);
    const asMain = await t.call('POST', `/api/v1/tenants/${tenant.body.id}/users/${victim.userId}/roles`, { tenantId: tenant.body.id, role: 'main' }, tadmin.token);
    assert.equal(asMain.status, 403);
    const asTadmin = await t.call('POST', `/api/v1/tenants/${tenant.body.id}/users/${victim.userId}/roles`, { tenantId: tenant.body.id, role: 'tenantAdmin' }, socAdmin.token);
    assert.equal(asTadmin.status, 403);
    const ok = await t.call('POST', `/api/v1/tenants/${tenant.body.id}/users/${victim.userId}/roles`, { tenantId: tenant.body.id, role: 'tier2' }, socAdmin.token);
    assert.equal(ok.status, 201);
    // Only inside the granter's own subtree.
    const outside = await t.call('POST', `/api/v1/tenants/${tenant.body.id}/users/${victim.userId}/roles`, { tenantId: t.rootId, role: 'observer' }, tadmin.token);
    assert.equal(outside.status, 400);
  });
});
