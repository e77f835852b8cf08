import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { startSshd, sshdUnavailable, type SshServer } from '../../../test/support/sshd.ts';
import { closeIdleConnections } from './index.ts';

// The ssh connector through the application: settings over the HTTP API, check connection
// (draft and saved), runs through IntegrationsService.runAction, and a secret canary — the
// password never appears in an answer, a result, an error or a log line.
const unavailable = sshdUnavailable();
if (unavailable) console.log(`# real sshd tests skipped: ${unavailable}`);

describe('ssh connector through the API against a real sshd', { skip: unavailable }, () => {
  let t: TestApp;
  let s: SshServer;
  let tenantId: string;
  let instanceId: string;
  const seen: string[] = [];
  const record = <T>(x: T): T => {
    seen.push(JSON.stringify(x));
    return x;
  };

  before(async () => {
    [t, s] = await Promise.all([startTestApp('sqlite'), startSshd()]);
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Script host customer' })).body.id;
  });
  after(async () => {
    closeIdleConnections();
    await s?.stop();
    await t?.close();
  });

  const config = () => ({ host: s.host, port: s.port, username: s.user, verifyHostKey: true, hostKey: s.hostKeyLine });

  test('the three types are listed with forms the console can render', async () => {
    const res = await t.call('GET', '/api/v1/connector-types');
    assert.equal(res.status, 200);
    const byType = new Map(res.body.items.map((i: any) => [i.type, i]));
    for (const type of ['ssh', 'continent4', 'skdpu']) assert.ok(byType.has(type), type);
    const ssh: any = byType.get('ssh');
    assert.equal(JSON.stringify(ssh).includes('"default":"/opt/xdr_scripts"'), true);
    assert.deepEqual(ssh.actions.map((a: any) => a.name).sort(), ['fetchHostKey', 'runScript']);
  });

  test('draft check without a pinned key shows the fingerprint to confirm', async () => {
    const res = record(await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'ssh', config: { ...config(), hostKey: undefined }, secrets: { password: s.password } }));
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.ok, res.body.stage, res.body.details.sshStage, res.body.details.hostKeySeen.fingerprint], [false, 'config', 'hostKey', s.fingerprint]);
    assert.match(res.body.message, /config\.hostKey: is required/);
  });

  test('create, then check connection on the saved instance', async () => {
    const created = record(await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'ssh', name: 'Script host', config: config(), secrets: { password: s.password } }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    instanceId = created.body.id;
    assert.deepEqual(created.body.secrets.map((x: any) => x.field), ['password']);
    const check = record(await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`));
    assert.equal(check.status, 200);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    assert.equal(check.body.details.hostKeySeen.fingerprint, s.fingerprint);
    const wrong = record(await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'ssh', instanceId, config: config(), secrets: { password: 'not-the-password' } }));
    assert.deepEqual([wrong.body.ok, wrong.body.stage], [false, 'authenticate']);
  });

  test('runScript and fetchHostKey through runAction; output is recorded, secrets redacted', async () => {
    const script = s.writeScript('echo-args.sh', '#!/bin/sh\nprintf "%s|" "$@"\necho "$XDRHUB_TARGET_KIND=$XDRHUB_TARGET_VALUE"\n');
    const r = record(await t.app.services.integrations.runAction(tenantId, instanceId, 'runScript', { kind: 'observable:ip', value: '203.0.113.9' }, { workingDirectory: s.workDir, scriptPath: `./${path.basename(script)}`, args: ['a b', s.password] }));
    assert.equal(r.output?.stdout, 'a b|[redacted]|observable:ip=203.0.113.9\n');
    assert.equal(r.output?.exitCode, 0);
    const key = record(await t.app.services.integrations.runAction(tenantId, instanceId, 'fetchHostKey', { kind: 'none', value: '' }, {}));
    assert.deepEqual([key.output?.key, key.output?.fingerprint, key.output?.matchesSaved], [s.hostKeyLine, s.fingerprint, true]);
  });

  test('failures are errors with words, never the password', async () => {
    const fail = s.writeScript('fail.sh', '#!/bin/sh\necho "$1" >&2\nexit 9\n');
    const err = await t.app.services.integrations.runAction(tenantId, instanceId, 'runScript', { kind: 'none', value: '' }, { workingDirectory: s.workDir, scriptPath: fail, args: [s.password] }).catch((e) => e);
    record({ message: err.message, output: err.output });
    assert.match(err.message, /exited with code 9; stderr ends with: \[redacted\]/);
    // NUL: a 400 naming the argument, raised before anything is sent.
    const nul = await t.app.services.integrations.runAction(tenantId, instanceId, 'runScript', { kind: 'none', value: '' }, { scriptPath: '/bin/true', args: ['x\u0000'] }).catch((e) => e);
    assert.deepEqual([nul.status, nul.message], [400, 'params.args[0]: contains a NUL character, which cannot be passed to a remote program: remove it']);
    // Bad env names are refused by the action schema.
    await assert.rejects(t.app.services.integrations.runAction(tenantId, instanceId, 'runScript', { kind: 'none', value: '' }, { scriptPath: '/bin/true', env: { 'bad-name': 'x' } }), /params\.env/);
    // A second login method: a clear 400.
    const replaced = await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/secrets`, { values: { privateKey: s.clientKeys.ed25519.privateKey } });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    const both = await t.app.services.integrations.runAction(tenantId, instanceId, 'runScript', { kind: 'none', value: '' }, { scriptPath: '/bin/true' }).catch((e) => e);
    assert.deepEqual([both.status, /both a password and a private key are set/.test(both.message)], [400, true]);
    const check = record(await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`));
    assert.deepEqual([check.body.ok, check.body.stage], [false, 'config']);
    // Removing the password leaves the key: logs in again.
    await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/secrets`, { values: { password: null } });
    const byKey = record(await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`));
    assert.equal(byKey.body.ok, true, JSON.stringify(byKey.body));
  });

  test('secret canary: the password is in no answer, result, error or log line', async () => {
    const listed = record(await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`));
    assert.equal(listed.status, 200);
    for (const text of [...seen, t.logs.text()]) assert.equal(text.includes(s.password), false, text.slice(0, 300));
  });
});
