import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { createTestCa } from '../../../test/support/tls.ts';
import { startUsergateSimulator, type UsergateSimulator } from '../../../simulators/usergate/index.ts';
import { assertOnlyOwnFailures, blockTwentyConcurrently } from '../../../test/support/firewall-batch.ts';

// UserGate through the framework: settings and check over the HTTP API, every action and its
// undo through IntegrationsService.runAction, against the XML-RPC simulator over HTTPS.
const PASSWORD = 'ug-Secret-canary-51c0e';
// The administrator name carries every XML metacharacter: it must arrive as one string param.
const USER = `api<adm>&"'ins]]>`;

describe('usergate connector', () => {
  let t: TestApp;
  let sim: UsergateSimulator;
  let ca: string;
  let tenantId: string;
  let id: string;
  const run = (action: string, target: { kind: any; value: string }, params: unknown = {}) => t.app.services.integrations.runAction(tenantId, id, action, target, params);
  const ip = (value: string) => ({ kind: 'observable:ip' as const, value });
  const config = () => ({ address: sim.url, caCertificate: ca, username: USER });

  before(async () => {
    const testCa = await createTestCa();
    const leaf = await testCa.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    ca = testCa.cert;
    sim = await startUsergateSimulator({ tls: leaf, users: { [USER]: PASSWORD }, authSessions: [{ user: 'alice', ip: '10.1.1.1' }, { user: 'bob', ip: '10.1.1.2' }] });
    t = await startTestApp('sqlite');
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'UG customer' })).body.id;
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'usergate', name: 'UserGate', config: config(), secrets: { password: PASSWORD } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    id = res.body.id;
  });
  after(async () => {
    await t?.close();
    await sim?.close();
  });
  beforeEach(() => sim.reset());

  test('check connection: login, one read, logout; the hostile user name arrives intact', async () => {
    const ok = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${id}/check`);
    assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
    assert.deepEqual(sim.requests, { 'v2.core.node.status': 1, 'v2.core.login': 1, 'v2.nlists.list': 1, 'v2.core.logout': 1 });
    const login = sim.calls.find((c) => c.method === 'v2.core.login')!;
    assert.equal(login.params.length, 3);
    assert.equal(login.params[0], USER);
    assert.equal(sim.state.openSessions, 0);

    const bad = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'usergate', config: config(), secrets: { password: 'wrong' } });
    assert.deepEqual([bad.body.ok, bad.body.stage], [false, 'authenticate']);
    assert.match(bad.body.message, /refused the login \(fault 5: Wrong login or password\): check the administrator name and password/);
    const untrusted = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'usergate', config: { address: sim.url, username: USER }, secrets: { password: PASSWORD } });
    assert.deepEqual([untrusted.body.ok, untrusted.body.stage], [false, 'tls']);
  });

  test('blockIp creates the list and the drop rule on first use; unblockIp undoes it', async () => {
    const res = await run('blockIp', ip('203.0.113.5'));
    assert.deepEqual(res.output?.created, ['list xdrhub-blocked-ips', 'rule xdrhub-block-ips']);
    assert.match(res.summary, /1 IP address blocked in list xdrhub-blocked-ips; created list xdrhub-blocked-ips, rule xdrhub-block-ips/);
    const list = sim.state.list('xdrhub-blocked-ips')!;
    assert.deepEqual(list.values, ['203.0.113.5']);
    assert.equal(list.type, 'network');
    assert.deepEqual(sim.state.firewallRule('xdrhub-block-ips')?.dst_ips, [['list_id', list.id]]);
    assert.equal(sim.state.firewallRule('xdrhub-block-ips')?.action, 'drop');
    const undo = await run('unblockIp', ip('203.0.113.5'));
    assert.deepEqual(undo.output?.unblocked, ['203.0.113.5']);
    assert.deepEqual(sim.state.list('xdrhub-blocked-ips')!.values, []);
    assert.equal(sim.state.openSessions, 0);
  });

  test('idempotent: blocking twice is success and one item; fault 2001 counts as already blocked', async () => {
    await run('blockIp', ip('2001:DB8::0:7'));
    const again = await run('blockIp', ip('2001:db8::7'));
    assert.deepEqual(again.output?.alreadyBlocked, ['2001:db8::7']);
    assert.deepEqual(again.output?.created, []);
    assert.deepEqual(sim.state.list('xdrhub-blocked-ips')!.values, ['2001:db8::7']);
    // A value added on the device between our read and our add: the batch add faults 2001, the
    // connector retries one by one and reports it as already blocked.
    sim.failNext('v2.nlists.list.add.items', { code: 2001, message: 'Item already exists' });
    const raced = await run('blockIps', { kind: 'none', value: '' }, { ips: ['192.0.2.1', '2001:db8::7'] });
    assert.deepEqual(raced.output?.blocked, ['192.0.2.1']);
    assert.deepEqual(raced.output?.alreadyBlocked, ['2001:db8::7']);
    await run('unblockIps', { kind: 'none', value: '' }, { ips: ['192.0.2.1', '2001:db8::7'] });
  });

  test('a batch of 1,000 IPs is one login and two add calls', async () => {
    const ips = Array.from({ length: 1000 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
    const res = await run('blockIps', { kind: 'none', value: '' }, { ips });
    assert.equal((res.output?.blocked as string[]).length, 1000);
    assert.equal(sim.requests['v2.core.login'], 1);
    assert.equal(sim.requests['v2.nlists.list.add.items'], 2);
    assert.equal(sim.state.list('xdrhub-blocked-ips')!.values.length, 1000);
    const undo = await run('unblockIps', { kind: 'none', value: '' }, { ips });
    assert.equal((undo.output?.unblocked as string[]).length, 1000);
    assert.equal(sim.state.list('xdrhub-blocked-ips')!.values.length, 0);
  });

  test('20 concurrent single-IP calls (one per response job): one login, one add call, each call its own result', async () => {
    const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
    const results = await Promise.all(ips.map((v) => run('blockIp', ip(v))));
    assert.equal(sim.requests['v2.core.login'], 1);
    assert.equal(sim.requests['v2.nlists.list.add.items'], 1);
    assert.equal(sim.state.openSessions, 0);
    results.forEach((r, i) => {
      assert.deepEqual(r.output?.blocked, [ips[i]]);
      assert.match(r.summary, /^1 IP address blocked in list xdrhub-blocked-ips.*; in one session with 19 other actions$/);
    });
    assert.ok(results.filter((r) => (r.output?.created as string[]).length).length <= 1, 'what the batch created is said once');
    // Five of them again with five new ones: the five are "already blocked", each for its own caller.
    sim.reset();
    const mixed = [...ips.slice(0, 5), ...ips.slice(0, 5).map((v) => v.replace('198.51.100.', '198.51.101.'))];
    const again = await Promise.all(mixed.map((v) => run('blockIp', ip(v))));
    again.forEach((r, i) => assert.deepEqual(r.output?.[i < 5 ? 'alreadyBlocked' : 'blocked'], [mixed[i]]));
    assert.equal(sim.requests['v2.core.login'], 1);
  });

  test('in a batch, a value the device refuses fails only its own call; an aborted caller does not stop the others', async () => {
    const { ips, settled } = await blockTwentyConcurrently({ sim, block: (v, signal) => t.app.services.integrations.runAction(tenantId, id, 'blockIp', ip(v), {}, signal), started: () => !!sim.requests['v2.nlists.list'] });
    assert.equal(sim.requests['v2.core.login'], 1);
    assert.equal(sim.state.openSessions, 0);
    assertOnlyOwnFailures(ips, settled, /v2\.nlists\.list\.add failed \(fault 400: .*198\.51\.100\.106/);
    const listed = sim.state.list('xdrhub-blocked-ips')!.values;
    assert.deepEqual(ips.filter((v) => listed.includes(v)), ips.filter((_, i) => i !== 5));
  });

  test('an expired session logs in once more and retries', async () => {
    sim.expireAfter(2);
    const res = await run('blockIp', ip('192.0.2.50'));
    assert.deepEqual(res.output?.blocked, ['192.0.2.50']);
    assert.equal(sim.requests['v2.core.login'], 2);
    // Twice in a row is reported, not looped on.
    sim.reset();
    sim.failNext('v2.nlists.list', { code: 104, message: 'Session is not found or has expired' });
    sim.failNext('v2.nlists.list.list', { code: 104, message: 'Session is not found or has expired' });
    await assert.rejects(run('blockIp', ip('192.0.2.51')), /session expired/);
    assert.equal(sim.requests['v2.core.login'], 2);
    await run('unblockIp', ip('192.0.2.50'));
  });

  test('URLs and domains go to their own lists and content rules, hostile characters intact', async () => {
    const hostile = 'https://evil.example/p?a=1&b=]]&c=%3C';
    const url = await run('blockUrl', { kind: 'observable:url', value: hostile });
    assert.deepEqual(url.output?.created, ['list xdrhub-blocked-urls', 'rule xdrhub-block-urls']);
    const dom = await run('blockDomain', { kind: 'observable:domain', value: 'Evil.Example' });
    assert.deepEqual(dom.output?.created, ['list xdrhub-blocked-domains', 'rule xdrhub-block-domains']);
    assert.deepEqual(sim.state.list('xdrhub-blocked-urls')!.values, [hostile]);
    assert.deepEqual(sim.state.list('xdrhub-blocked-domains')!.values, ['evil.example']);
    // The parsed view: one items array with one struct whose value is the URL, nothing more.
    const add = sim.calls.find((c) => c.method === 'v2.nlists.list.add.items')!;
    assert.deepEqual(add.params.slice(2), [[{ value: hostile }]]);
    assert.deepEqual(sim.state.contentRule('xdrhub-block-urls')?.urls, [sim.state.list('xdrhub-blocked-urls')!.id]);
    await run('unblockUrl', { kind: 'observable:url', value: hostile });
    await run('unblockDomain', { kind: 'observable:domain', value: 'evil.example' });
    assert.deepEqual(sim.state.list('xdrhub-blocked-urls')!.values, []);
    assert.deepEqual(sim.state.list('xdrhub-blocked-domains')!.values, []);
    // Launched together, domains are batched like addresses.
    sim.reset();
    const domains = ['a.example', 'b.example', 'c.example'];
    await Promise.all(domains.map((value) => run('blockDomain', { kind: 'observable:domain', value })));
    await Promise.all(domains.map((value) => run('unblockDomain', { kind: 'observable:domain', value })));
    assert.equal(sim.requests['v2.core.login'], 2, 'one session for the three blocks, one for the three unblocks');
    assert.deepEqual(sim.state.list('xdrhub-blocked-domains')!.values, []);
  });

  test('CRLF, over-long and malformed values are refused with the field named, before any call', async () => {
    await assert.rejects(run('blockUrl', { kind: 'observable:url', value: 'https://a.example/\r\n<x/>' }), /target\.value: contains a line break/);
    await assert.rejects(run('blockUrl', { kind: 'observable:url', value: `https://a.example/${'x'.repeat(10_240)}` }), /target\.value: is \d+ characters long: at most 2048/);
    await assert.rejects(run('blockDomain', { kind: 'observable:domain', value: 'evil.example<script>' }), /target\.value: .* is not a domain name/);
    await assert.rejects(run('blockIp', ip('999.1.1.1')), /target\.value: .* is not an IPv4 or IPv6 address/);
    assert.deepEqual(sim.requests, {});
  });

  test('log out all users ends every authorised session', async () => {
    const res = await run('logoutAllUsers', { kind: 'none', value: '' });
    assert.equal(res.summary, '2 user sessions logged out');
    assert.deepEqual(sim.state.authSessions(), []);
  });

  test('the password never appears in outputs, errors or logs', async () => {
    const outputs: unknown[] = [];
    outputs.push(await run('blockIp', ip('192.0.2.77')));
    sim.failNext('v2.nlists.list.add.items', { code: 500, message: 'internal' });
    outputs.push(await run('blockIp', ip('192.0.2.78')).catch((e: Error) => ({ message: e.message, stack: e.stack })));
    outputs.push((await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${id}/check`)).body);
    outputs.push((await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${id}`)).body);
    assert.match(JSON.stringify(outputs[1]), /v2\.nlists\.list\.add\.items failed \(fault 500: internal\)/);
    assert.ok(!JSON.stringify(outputs).includes(PASSWORD));
    assert.ok(!t.logs.text().includes(PASSWORD));
  });
});
