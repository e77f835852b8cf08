import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from './support/app.ts';
import { startHttpsRecorder } from './support/https-server.ts';

// The framework end to end through the smallest real connector: settings, secrets, check
// connection (saved and draft), an action, disable, and tenant deletion stopping calls.
describe('webhook connector through the framework', () => {
  let t: TestApp;
  let hook: Awaited<ReturnType<typeof startHttpsRecorder>>;
  let tenantId: string;
  const SECRET = 'Bearer hook-secret-123';

  before(async () => {
    t = await startTestApp('sqlite');
    hook = await startHttpsRecorder((req) => (req.headers.authorization === SECRET ? { status: 200, body: '{"received":true}' } : { status: 401, body: '{}' }));
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Webhook customer' })).body.id;
  });
  after(async () => {
    await hook?.close();
    await t?.close();
  });

  let instanceId: string;
  test('create with a private CA and check the saved instance', async () => {
    const created = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'webhook', name: 'SOAR', config: { url: `${hook.url}/hook`, caCertificate: hook.ca }, secrets: { headerValue: SECRET } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    instanceId = created.body.id;
    const check = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`);
    assert.equal(check.status, 200);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    const probe = hook.seen.at(-1)!;
    assert.equal(probe.method, 'HEAD');
    assert.equal(probe.headers.authorization, SECRET);
    const stored = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`);
    assert.equal(stored.body.lastCheck.ok, true);
  });

  test('draft checks report the failing stage', async () => {
    const untrusted = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'webhook', config: { url: `${hook.url}/hook` }, secrets: { headerValue: SECRET } });
    assert.deepEqual([untrusted.body.ok, untrusted.body.stage], [false, 'tls']);
    assert.match(untrusted.body.message, /not trusted/);
    const refused = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'webhook', config: { url: 'https://127.0.0.1:1/hook', caCertificate: hook.ca } });
    assert.deepEqual([refused.body.ok, refused.body.stage], [false, 'connect']);
    const wrongSecret = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'webhook', config: { url: `${hook.url}/hook`, caCertificate: hook.ca }, secrets: { headerValue: 'wrong' } });
    assert.deepEqual([wrongSecret.body.ok, wrongSecret.body.stage], [false, 'authenticate']);
    // A draft of an existing instance reuses its saved secret.
    const reuse = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'webhook', instanceId, config: { url: `${hook.url}/other`, caCertificate: hook.ca } });
    assert.equal(reuse.body.ok, true, JSON.stringify(reuse.body));
    assert.equal(hook.seen.at(-1)!.url, '/other');
  });

  test('the postJson action delivers the payload with the secret header', async () => {
    const before = hook.seen.length;
    const result = await t.app.services.integrations.runAction(tenantId, instanceId, 'postJson', { kind: 'alert', value: 'ALR-1' }, { payload: { verdict: 'malicious', note: '$(reboot)' } });
    assert.equal(result.summary, 'delivered (HTTP 200)');
    assert.equal(hook.seen.length, before + 1);
    const sent = hook.seen.at(-1)!;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.headers.authorization, SECRET);
    assert.deepEqual(JSON.parse(sent.body), { target: { kind: 'alert', value: 'ALR-1' }, payload: { verdict: 'malicious', note: '$(reboot)' } });
  });

  test('action parameters are validated by the action schema', async () => {
    await assert.rejects(t.app.services.integrations.runAction(tenantId, instanceId, 'postJson', { kind: 'alert', value: 'x' }, { payload: 'not an object' }), /params\.payload/);
    await assert.rejects(t.app.services.integrations.runAction(tenantId, instanceId, 'nope', { kind: 'alert', value: 'x' }, {}), /no action nope/);
  });

  test('a disabled integration makes no outbound call', async () => {
    await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/disable`);
    const before = hook.seen.length;
    await assert.rejects(t.app.services.integrations.runAction(tenantId, instanceId, 'postJson', { kind: 'none', value: '' }, { payload: {} }), /disabled/);
    assert.equal(hook.seen.length, before);
    await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/enable`);
  });

  test('after the tenant is deleted, no outbound call is made', async () => {
    const del = await t.call('DELETE', `/api/v1/tenants/${tenantId}`);
    assert.equal(del.status, 202);
    const before = hook.seen.length;
    await assert.rejects(t.app.services.integrations.runAction(tenantId, instanceId, 'postJson', { kind: 'none', value: '' }, { payload: {} }));
    assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`)).status, 404);
    assert.equal(hook.seen.length, before);
  });
});
