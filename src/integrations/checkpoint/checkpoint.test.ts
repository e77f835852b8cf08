import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { createTestCa } from '../../../test/support/tls.ts';
import { fingerprintSha256 } from '../../platform/outbound/index.ts';
import { startCheckpointSimulator, type CheckpointSimulator } from '../../../simulators/checkpoint/index.ts';
import { checkpointBatcher } from './index.ts';
import { assertOnlyOwnFailures, blockTwentyConcurrently } from '../../../test/support/firewall-batch.ts';
import { EXECUTE_CONCURRENCY } from '../../response/response.ts';

// Check Point through the framework: settings and check over the HTTP API, every action and its
// undo through IntegrationsService.runAction, against the Management API simulator over HTTPS.
const PASSWORD = 'cp-Secret-canary-7f3a9';

describe('checkpoint connector', () => {
  let t: TestApp;
  let sim: CheckpointSimulator;
  let ca: string;
  let leafCert: string;
  let tenantId: string;
  let id: string;
  const run = (action: string, target: { kind: any; value: string }, params: unknown = {}, instance = id) => t.app.services.integrations.runAction(tenantId, instance, action, target, params);
  const ip = (value: string) => ({ kind: 'observable:ip' as const, value });
  const config = (extra: Record<string, unknown> = {}) => ({ address: sim.url, caCertificate: ca, username: 'xdr', ...extra });
  const create = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'checkpoint', name, config: config(extra), secrets: { password: PASSWORD } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };

  before(async () => {
    const testCa = await createTestCa();
    const leaf = await testCa.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    ca = testCa.cert;
    leafCert = leaf.cert;
    sim = await startCheckpointSimulator({ tls: leaf, users: { xdr: PASSWORD }, taskMs: 5 });
    t = await startTestApp('sqlite', { XDRHUB_JOB_POLL_MS: '50' });
    await t.app.startWorker();
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'CP customer' })).body.id;
    id = await create('Check Point');
  });
  after(async () => {
    await t?.close();
    await sim?.close();
  });
  beforeEach(() => sim.reset());

  test('check connection: logs in, reads, logs out; wrong password and wrong pin name their stage', async () => {
    const ok = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${id}/check`);
    assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
    assert.deepEqual(sim.requests, { login: 1, 'show-group': 1, logout: 1 });
    assert.equal(sim.state.openSessions, 0);

    const bad = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'checkpoint', config: config(), secrets: { password: 'wrong' } });
    assert.deepEqual([bad.body.ok, bad.body.stage], [false, 'authenticate']);
    assert.match(bad.body.message, /check the API user and password/);

    const pinned = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'checkpoint', config: { address: sim.url, username: 'xdr', pinSha256: fingerprintSha256(leafCert) }, secrets: { password: PASSWORD } });
    assert.equal(pinned.body.ok, true, JSON.stringify(pinned.body));
    const wrongPin = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'checkpoint', config: { address: sim.url, username: 'xdr', pinSha256: 'AB'.repeat(32) }, secrets: { password: PASSWORD } });
    assert.deepEqual([wrongPin.body.ok, wrongPin.body.stage], [false, 'tls']);

    const noSecret = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'checkpoint', config: config() });
    assert.deepEqual([noSecret.body.ok, noSecret.body.stage], [false, 'config']);
  });

  test('blockIp creates the group and the rule on first use, publishes once; unblockIp undoes it', async () => {
    const res = await run('blockIp', ip('203.0.113.7'));
    assert.deepEqual(res.output?.created, ['group xdrhub-blocked-ips', 'rule xdrhub-block-ips']);
    assert.deepEqual(res.output?.blocked, ['203.0.113.7']);
    assert.match(res.summary, /1 IP address blocked in group xdrhub-blocked-ips; created group xdrhub-blocked-ips, rule xdrhub-block-ips/);
    assert.deepEqual(sim.state.group('xdrhub-blocked-ips')?.members, ['xdrhub_203.0.113.7']);
    assert.deepEqual(sim.state.rule('xdrhub-block-ips')?.destination, ['xdrhub-blocked-ips']);
    assert.equal(sim.requests.publish, 1);
    assert.equal(sim.requests['install-policy'], undefined, 'install-policy only when configured');
    assert.equal(sim.state.openSessions, 0);

    const catalogue = await t.app.services.integrations.catalogue(tenantId);
    assert.equal(catalogue.find((c) => c.instanceId === id && c.action === 'blockIp')?.undo, 'unblockIp');
    const undo = await run('unblockIp', ip('203.0.113.7'));
    assert.deepEqual(undo.output?.unblocked, ['203.0.113.7']);
    assert.deepEqual(sim.state.group('xdrhub-blocked-ips')?.members, []);
    assert.equal(sim.state.hosts().length, 0);
    assert.equal(sim.requests.publish, 2);
  });

  test('blocking twice is success with one object; IPv6 is canonicalised', async () => {
    await run('blockIp', ip('2001:DB8:0:0::0:1'));
    sim.reset();
    const again = await run('blockIp', ip('2001:db8::1'));
    assert.deepEqual(again.output?.alreadyBlocked, ['2001:db8::1']);
    assert.deepEqual(again.output?.created, []);
    assert.equal(sim.requests['add-host'], undefined);
    assert.equal(sim.requests.publish, undefined, 'nothing staged, nothing published');
    assert.equal(sim.state.hosts().filter((h) => h['ip-address'] === '2001:db8::1').length, 1);
    assert.deepEqual(sim.state.group('xdrhub-blocked-ips')?.members, ['xdrhub_2001_db8__1']);
    await run('unblockIp', ip('2001:db8::1'));
    const none = await run('unblockIp', ip('2001:db8::1'));
    assert.deepEqual(none.output?.notBlocked, ['2001:db8::1']);
  });

  test('a batch of 1,000 IPs: one login, one set-group, exactly one publish', async () => {
    const ips = Array.from({ length: 1000 }, (_, i) => (i % 2 ? `198.18.${i >> 8}.${i & 255}` : `2001:db8::${i.toString(16)}`));
    const res = await run('blockIps', { kind: 'none', value: '' }, { ips });
    assert.equal((res.output?.blocked as string[]).length, 1000);
    assert.equal(sim.requests.login, 1);
    assert.equal(sim.requests['add-host'], 1000);
    assert.equal(sim.requests['set-group'], 1);
    assert.equal(sim.requests.publish, 1);
    assert.equal(sim.state.group('xdrhub-blocked-ips')?.members.length, 1000);
    sim.reset();
    const undo = await run('unblockIps', { kind: 'none', value: '' }, { ips });
    assert.equal((undo.output?.unblocked as string[]).length, 1000);
    assert.equal(sim.requests.publish, 1);
    assert.equal(sim.state.group('xdrhub-blocked-ips')?.members.length, 0);
  });

  test('an expired session logs in once more and the batch succeeds', async () => {
    sim.expireAfter(2);
    const res = await run('blockIp', ip('192.0.2.10'));
    assert.deepEqual(res.output?.blocked, ['192.0.2.10']);
    assert.equal(sim.requests.login, 2);
    assert.equal(sim.requests.publish, 1);
    assert.ok(sim.state.group('xdrhub-blocked-ips')?.members.includes('xdrhub_192.0.2.10'));
    await run('unblockIp', ip('192.0.2.10'));
  });

  test('a failure before publishing discards the staged changes', async () => {
    sim.failNext('set-group');
    await assert.rejects(run('blockIp', ip('192.0.2.11')), /set-group failed \(generic_internal_error\)/);
    assert.equal(sim.requests.discard, 1);
    assert.equal(sim.requests.publish, undefined);
    assert.equal(sim.state.hosts().some((h) => h['ip-address'] === '192.0.2.11'), false);
    assert.equal(sim.state.openSessions, 0);

    sim.reset();
    sim.failNext('publish', 'task');
    await assert.rejects(run('blockIp', ip('192.0.2.12')), /publish task .* failed/);
    assert.equal(sim.requests.discard, 1);
    assert.equal(sim.state.hosts().some((h) => h['ip-address'] === '192.0.2.12'), false);
  });

  test('install-policy runs once per batch only when configured', async () => {
    const withInstall = await create('CP with install', { installPolicy: true, policyPackage: 'Corp', installTargets: ['gw-1'] });
    sim.reset();
    const res = await run('blockIps', { kind: 'none', value: '' }, { ips: ['192.0.2.20', '192.0.2.21'] }, withInstall);
    assert.equal(typeof res.output?.installTaskId, 'string');
    assert.equal(sim.requests.publish, 1);
    assert.equal(sim.requests['install-policy'], 1);
    assert.deepEqual(sim.log.find((l) => l.command === 'install-policy')?.body, { 'policy-package': 'Corp', access: true, targets: ['gw-1'] });
    await run('unblockIps', { kind: 'none', value: '' }, { ips: ['192.0.2.20', '192.0.2.21'] }, withInstall);
  });

  test('blockUrl and blockDomain fill the application/site; undo removes them', async () => {
    const url = await run('blockUrl', { kind: 'observable:url', value: "https://evil.example/a?x=<b>&y='1'" });
    assert.deepEqual(url.output?.created, ['application-site xdrhub-blocked-urls', 'rule xdrhub-block-urls']);
    const dom = await run('blockDomain', { kind: 'observable:domain', value: 'Bad.Example.' });
    assert.deepEqual(dom.output?.blocked, ['bad.example']);
    // The hostile characters arrive as data (percent-encoded by URL canonicalisation, & and ' intact).
    assert.deepEqual(sim.state.site('xdrhub-blocked-urls')?.urls, ["evil.example/a?x=%3Cb%3E&y=%271%27", 'bad.example']);
    await run('unblockUrl', { kind: 'observable:url', value: "https://evil.example/a?x=<b>&y='1'" });
    await run('unblockDomain', { kind: 'observable:domain', value: 'bad.example' });
    assert.deepEqual(sim.state.site('xdrhub-blocked-urls')?.urls, []);
  });

  test('20 concurrent single-IP calls (one per response job): one login, one publish, each call its own result', async () => {
    const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
    const started = performance.now();
    const results = await Promise.all(ips.map((v) => run('blockIp', ip(v))));
    const ms = performance.now() - started;
    assert.equal(sim.requests.login, 1);
    assert.equal(sim.requests.publish, 1);
    assert.equal(sim.requests['set-group'], 1);
    assert.equal(sim.requests['add-host'], 20);
    assert.equal(sim.state.openSessions, 0);
    results.forEach((r, i) => {
      assert.deepEqual(r.output?.blocked, [ips[i]]);
      assert.match(r.summary, /^1 IP address blocked in group xdrhub-blocked-ips.*; in one session with 19 other actions$/);
      assert.deepEqual(r.output?.batch, { actions: 20, values: 20 });
    });
    // The managed objects are created once and said once (in one history entry, not twenty).
    assert.ok(results.filter((r) => (r.output?.created as string[]).length).length <= 1);
    for (const v of ips) assert.ok(sim.state.group('xdrhub-blocked-ips')?.members.includes(`xdrhub_${v}`));
    // A call that finds every value already there: one session, nothing to publish.
    sim.reset();
    const again = await Promise.all(ips.slice(0, 5).map((v) => run('blockIp', ip(v))));
    assert.ok(again.every((r, i) => (r.output?.alreadyBlocked as string[])[0] === ips[i]));
    assert.deepEqual([sim.requests.login, sim.requests.publish], [1, undefined]);
    // And the undo, launched the same way.
    sim.reset();
    const undone = await Promise.all(ips.map((v) => run('unblockIp', ip(v))));
    assert.ok(undone.every((r, i) => (r.output?.unblocked as string[])[0] === ips[i]));
    assert.deepEqual([sim.requests.login, sim.requests.publish, sim.requests['set-group']], [1, 1, 1]);
    assert.ok(ms < 5000, `${ms} ms`);
  });

  test('in a batch, a value the server refuses fails only its own call; an aborted caller does not stop the others', async () => {
    const resent = checkpointBatcher.stats.resent;
    // Every caller is in the batch once the first host is being added: two are cancelled then,
    // the carrier of the batch's requests among them, with its add-host requests in flight.
    const { ips, settled } = await blockTwentyConcurrently({ sim, block: (v, signal) => t.app.services.integrations.runAction(tenantId, id, 'blockIp', ip(v), {}, signal), started: () => !!sim.requests['add-host'] });
    assert.equal(sim.requests.login, 1);
    assert.equal(sim.requests.publish, 1);
    assert.equal(sim.state.openSessions, 0);
    assert.ok(checkpointBatcher.stats.resent > resent, 'requests cut short with the carrier were sent again through another caller');
    assertOnlyOwnFailures(ips, settled, /add-host failed \(err_validation_failed\): .*198\.51\.100\.106 is reserved/);
    // Published: everything but the refused host (the cancelled calls' values were already in the batch).
    const members = sim.state.group('xdrhub-blocked-ips')!.members;
    assert.deepEqual(ips.filter((v) => members.includes(`xdrhub_${v}`)), ips.filter((_, i) => i !== 5));

    // Cancelled before its batch starts: left out, nothing sent for it.
    sim.reset();
    const early = new AbortController();
    const pending = run('blockIp', ip('198.51.100.250'), {}).catch(() => null);
    const cancelled = t.app.services.integrations.runAction(tenantId, id, 'blockIp', ip('198.51.100.251'), {}, early.signal);
    early.abort(new Error('cancelled early'));
    await assert.rejects(cancelled, /cancelled early/);
    assert.ok(await pending);
    assert.ok(!sim.log.some((l) => l.body['ip-address'] === '198.51.100.251'));
  });

  test('through the response API: one launch with several observable targets is one session and one publish', async (t2) => {
    const waitFor = async (actionId: string): Promise<any> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const res = await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions/${actionId}`);
        if (['succeeded', 'failed', 'rejected', 'timedOut', 'cancelled'].includes(res.body.status)) return res.body;
        if (Date.now() > deadline) throw new Error(`action ${actionId} is still ${res.body.status}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const launch = async (values: string[]) => {
      sim.reset();
      const res = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId: id, action: 'blockIp', targets: values.map((value) => ({ kind: 'observable:ip', value })) });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const done = await Promise.all(res.body.actions.map((a: any) => waitFor(a.id)));
      assert.ok(done.every((a) => a.status === 'succeeded'), JSON.stringify(done.map((a) => [a.status, a.error])));
      return done;
    };
    // Twenty targets: the response jobs run together (EXECUTE_CONCURRENCY per worker), so all of them meet in one batch.
    const twenty = await launch(Array.from({ length: 20 }, (_, i) => `203.0.113.${i + 40}`));
    assert.deepEqual([sim.requests.login, sim.requests.publish], [1, 1]);
    assert.ok(twenty.every((a) => /in one session with 19 other actions/.test(a.summary ?? a.result?.summary ?? JSON.stringify(a))), JSON.stringify(twenty[0]));
    // More targets than a worker runs at once: the later jobs start after the first batch
    // published, so they make further batches. The bound is the job concurrency, not the connector.
    await launch(Array.from({ length: EXECUTE_CONCURRENCY + 8 }, (_, i) => `203.0.114.${i + 1}`));
    t2.diagnostic(`${EXECUTE_CONCURRENCY + 8} targets through the response API: ${sim.requests.login} logins, ${sim.requests.publish} publishes`);
    assert.ok(sim.requests.publish! <= 2, `${sim.requests.publish} publishes for ${EXECUTE_CONCURRENCY + 8} targets`);
    assert.equal(sim.requests.login, sim.requests.publish);
  });

  test('hostile values are refused with the field named, before any call', async () => {
    sim.reset();
    await assert.rejects(run('blockUrl', { kind: 'observable:url', value: 'https://a.example/x\r\nX-Injected: 1' }), /target\.value: contains a line break/);
    await assert.rejects(run('blockUrl', { kind: 'observable:url', value: `https://a.example/${'a'.repeat(10_240)}` }), /target\.value: is 10\d{3} characters long/);
    await assert.rejects(run('blockIp', ip('1.2.3.4/24')), /not an IPv4 or IPv6 address/);
    await assert.rejects(run('blockIps', { kind: 'none', value: '' }, { ips: ['10.0.0.1', '10.0.0.1\n'] }), /params\.ips\[1\]: contains a line break/);
    assert.deepEqual(sim.requests, {});
  });

  test('the password never appears in outputs, errors or logs', async () => {
    const outputs: unknown[] = [];
    outputs.push(await run('blockIp', ip('192.0.2.99')));
    sim.failNext('add-host', { status: 500, code: 'generic_internal_error', message: 'boom' });
    outputs.push(await run('blockIp', ip('192.0.2.98')).catch((e: Error) => ({ message: e.message, stack: e.stack })));
    outputs.push((await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${id}/check`)).body);
    outputs.push((await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${id}`)).body);
    assert.ok(!JSON.stringify(outputs).includes(PASSWORD));
    assert.ok(!t.logs.text().includes(PASSWORD));
  });
});
