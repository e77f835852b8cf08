import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { createTestCa } from '../../../test/support/tls.ts';
import { startSophosSimulator, type SophosSimulator } from '../../../simulators/sophos/index.ts';
import { assertOnlyOwnFailures, blockTwentyConcurrently } from '../../../test/support/firewall-batch.ts';

// Sophos Firewall through the framework: settings and check over the HTTP API, every action and
// its undo through IntegrationsService.runAction, against the XML API simulator over HTTPS.
// The password carries every XML metacharacter: logging in at all proves it arrived intact.
const PASSWORD = `so<ph>&"'os]]>-canary-9d2`;

describe('sophos connector', () => {
  let t: TestApp;
  let sim: SophosSimulator;
  let ca: string;
  let tenantId: string;
  let id: string;
  const run = (action: string, target: { kind: any; value: string }, params: unknown = {}) => t.app.services.integrations.runAction(tenantId, id, action, target, params);
  const ip = (value: string) => ({ kind: 'observable:ip' as const, value });
  const config = () => ({ address: sim.url.replace('https://', ''), caCertificate: ca, username: 'api' });

  before(async () => {
    const testCa = await createTestCa();
    const leaf = await testCa.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    ca = testCa.cert;
    sim = await startSophosSimulator({ tls: leaf, users: { api: PASSWORD } });
    t = await startTestApp('sqlite');
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Sophos customer' })).body.id;
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'sophos', name: 'Sophos', config: config(), secrets: { password: PASSWORD } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    id = res.body.id;
  });
  after(async () => {
    await t?.close();
    await sim?.close();
  });
  beforeEach(() => sim.reset());

  test('check connection: one read-only Get; failed login and API refusal name their stage', async () => {
    const ok = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${id}/check`);
    assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
    assert.deepEqual(sim.requests, { http: 1, 'Get IPHostGroup': 1 });
    const bad = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'sophos', config: config(), secrets: { password: 'wrong' } });
    assert.deepEqual([bad.body.ok, bad.body.stage], [false, 'authenticate']);
    assert.match(bad.body.message, /refused the login \(Authentication Failure\): check the API administrator's user name and password/);
    sim.setApiDisabled(true);
    const off = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${id}/check`);
    sim.setApiDisabled(false);
    assert.deepEqual([off.body.ok, off.body.stage], [false, 'authorize']);
    assert.match(off.body.message, /534.*add xdrhub's address to its allowed IPs/);
  });

  test('blockIp creates the group and the drop rule; unblockIp takes the host out and removes it', async () => {
    const res = await run('blockIp', ip('203.0.113.9'));
    assert.deepEqual(res.output?.created, ['group xdrhub-blocked-ips', 'rule xdrhub-block-ips']);
    assert.deepEqual(sim.state.group('xdrhub-blocked-ips'), { family: 'IPv4', hosts: ['xdrhub_203.0.113.9'] });
    assert.deepEqual(sim.state.host('xdrhub_203.0.113.9'), { ip: '203.0.113.9', family: 'IPv4', groups: ['xdrhub-blocked-ips'] });
    const rule = sim.state.rule('xdrhub-block-ips') as any;
    assert.equal(rule.NetworkPolicy.Action, 'Drop');
    const undo = await run('unblockIp', ip('203.0.113.9'));
    assert.deepEqual(undo.output?.unblocked, ['203.0.113.9']);
    assert.deepEqual(sim.state.group('xdrhub-blocked-ips')?.hosts, []);
    assert.equal(sim.state.host('xdrhub_203.0.113.9'), null);
  });

  test('IPv6 goes to its own family group; blocking twice is success with one host', async () => {
    const first = await run('blockIp', ip('2001:DB8::0:9'));
    assert.deepEqual(first.output?.created, ['group xdrhub-blocked-ips-v6', 'rule xdrhub-block-ips-v6']);
    const again = await run('blockIp', ip('2001:db8::9'));
    assert.deepEqual(again.output?.alreadyBlocked, ['2001:db8::9']);
    assert.deepEqual(sim.state.group('xdrhub-blocked-ips-v6'), { family: 'IPv6', hosts: ['xdrhub_2001_db8__9'] });
    await run('unblockIp', ip('2001:db8::9'));
    assert.deepEqual(sim.state.group('xdrhub-blocked-ips-v6')?.hosts, []);
  });

  test('a batch of 1,000 IPs is a handful of requests', async () => {
    const ips = Array.from({ length: 1000 }, (_, i) => (i % 4 ? `198.18.${i >> 8}.${i & 255}` : `2001:db8:1::${i.toString(16)}`));
    const res = await run('blockIps', { kind: 'none', value: '' }, { ips });
    assert.equal((res.output?.blocked as string[]).length, 1000);
    assert.ok(sim.requests.http <= 12, `requests: ${JSON.stringify(sim.requests)}`);
    assert.equal(sim.state.group('xdrhub-blocked-ips')?.hosts.length, 750);
    assert.equal(sim.state.group('xdrhub-blocked-ips-v6')?.hosts.length, 250);
    const undo = await run('unblockIps', { kind: 'none', value: '' }, { ips });
    assert.equal((undo.output?.unblocked as string[]).length, 1000);
    assert.equal(sim.state.hosts().length, 0);
  });

  test('20 concurrent single-IP calls (one per response job): one batch of requests, each call its own result', async () => {
    const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
    const results = await Promise.all(ips.map((v) => run('blockIp', ip(v))));
    // No session in this API (each request carries the login): the batch is what counts.
    assert.equal(sim.requests['Set add IPHost'], 1);
    assert.ok(sim.requests.http! <= 5, `${sim.requests.http} requests`);
    results.forEach((r, i) => {
      assert.deepEqual(r.output?.blocked, [ips[i]]);
      assert.match(r.summary, /^1 IP address blocked in group xdrhub-blocked-ips.*; in one session with 19 other actions$/);
    });
    assert.ok(results.filter((r) => (r.output?.created as string[]).length).length <= 1, 'what the batch created is said once');
    sim.reset();
    const undone = await Promise.all(ips.map((v) => run('unblockIp', ip(v))));
    assert.ok(undone.every((r, i) => (r.output?.unblocked as string[])[0] === ips[i]));
    assert.deepEqual([sim.requests['Set update IPHostGroup'], sim.requests['Remove IPHost']], [1, 1]);
  });

  test('in a batch, a host Sophos refuses fails only its own call; an aborted caller does not stop the others', async () => {
    const { ips, settled } = await blockTwentyConcurrently({ sim, block: (v, signal) => t.app.services.integrations.runAction(tenantId, id, 'blockIp', ip(v), {}, signal), started: () => !!sim.requests['Get IPHostGroup'] });
    assert.equal(sim.requests['Set add IPHost'], 1);
    assertOnlyOwnFailures(ips, settled, /could not add the IP host for 198\.51\.100\.106 \(500: Operation failed\. 198\.51\.100\.106 is reserved\.\)/);
    const members = sim.state.group('xdrhub-blocked-ips')!.hosts;
    assert.deepEqual(ips.filter((v) => members.includes(`xdrhub_${v}`)), ips.filter((_, i) => i !== 5));
  });

  test('URLs and domains share the managed URL group; hostile characters arrive as data', async () => {
    const hostile = "https://evil.example/it's]]&x=<y>";
    const url = await run('blockUrl', { kind: 'observable:url', value: hostile });
    assert.deepEqual(url.output?.created, ['url-group xdrhub-blocked-urls']);
    await run('blockDomain', { kind: 'observable:domain', value: 'bad.example' });
    assert.deepEqual(sim.state.urlGroup('xdrhub-blocked-urls'), ["evil.example/it's]]&x=%3Cy%3E", 'bad.example']);
    // The parsed request: one Set with one WebFilterURLGroup whose URL list is exactly the data.
    const set = sim.parsed.at(-1)!.Set as any[];
    assert.equal(set.length, 1);
    assert.equal(set[0].WebFilterURLGroup.length, 1);
    assert.deepEqual(set[0].WebFilterURLGroup[0].URLlist.URL, ["evil.example/it's]]&x=%3Cy%3E", 'bad.example']);
    await run('unblockUrl', { kind: 'observable:url', value: hostile });
    await run('unblockDomain', { kind: 'observable:domain', value: 'bad.example' });
    assert.deepEqual(sim.state.urlGroup('xdrhub-blocked-urls'), []);
  });

  test('hostile values are refused with the field named, before any request', async () => {
    await assert.rejects(run('blockUrl', { kind: 'observable:url', value: 'https://a.example/\r\nInjected' }), /target\.value: contains a line break/);
    await assert.rejects(run('blockUrl', { kind: 'observable:url', value: `https://a.example/${'u'.repeat(10_240)}` }), /target\.value: is \d+ characters long/);
    await assert.rejects(run('blockDomain', { kind: 'observable:domain', value: '<Name>x</Name>' }), /target\.value: .* is not a domain name/);
    assert.deepEqual(sim.requests, {});
  });

  test('a refused login mid-way reports the authenticate stage; an entity failure names the status', async () => {
    sim.expireSessions();
    await assert.rejects(run('blockIp', ip('192.0.2.30')), /Sophos refused the login/);
    sim.failNext('Set add IPHost', { code: 500, message: 'Operation failed. Simulated.' });
    await assert.rejects(run('blockIp', ip('192.0.2.31')), /could not add the IP host for 192\.0\.2\.31 \(500: Operation failed\. Simulated\.\)/);
  });

  test('the password never appears in outputs, errors or logs', async () => {
    const outputs: unknown[] = [];
    outputs.push(await run('blockIp', ip('192.0.2.90')));
    sim.failNext('Set add IPHost');
    outputs.push(await run('blockIp', ip('192.0.2.91')).catch((e: Error) => ({ message: e.message, stack: e.stack })));
    outputs.push((await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${id}/check`)).body);
    outputs.push((await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${id}`)).body);
    outputs.push(sim.parsed);
    assert.ok(!JSON.stringify(outputs).includes('canary-9d2'));
    assert.ok(!t.logs.text().includes('canary-9d2'));
  });
});
