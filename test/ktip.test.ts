import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestApp, type TestApp } from './support/app.ts';
import { startTinyproxy, tinyproxyPath } from './support/proxy.ts';
import { startKtipSimulator, type KtipSimulator } from '../simulators/ktip/index.ts';

// The ktip integration end to end through the API: the Proxy toggle only on Root, a Root
// instance with the toggle on going through Debian's tinyproxy (and never around it), the
// singleton rule, and check connection over the same path.
describe('ktip through the API and the installation proxy', { skip: tinyproxyPath ? false : 'tinyproxy is not installed: apt-get install tinyproxy' }, () => {
  let t: TestApp;
  let sim: KtipSimulator;
  let proxy: Awaited<ReturnType<typeof startTinyproxy>>;
  const proxyLog = () => ('log' in proxy ? (proxy as any).log() : fs.readFileSync((proxy as any).logFile, 'utf8')) as string;

  before(async () => {
    sim = await startKtipSimulator();
    proxy = await startTinyproxy();
    t = await startTestApp('sqlite', { XDRHUB_PROXY_URL: proxy.url });
  });
  after(async () => {
    await t?.close();
    await proxy?.stop().catch(() => {});
    await sim?.close();
  });

  let rootInstance: string;
  test('the Proxy toggle is accepted only on Root; copies to children drop it', async () => {
    const customer = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Customer before' });
    const refused = await t.call('POST', `/api/v1/tenants/${customer.body.id}/integrations`, { type: 'ktip', name: 'TIP', config: { service: 'openTip', baseUrl: sim.url, proxy: true }, secrets: { token: 'token-child-1' } });
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.body), /config\.proxy.*only on the Root tenant/);

    const created = await t.call('POST', `/api/v1/tenants/${t.rootId}/integrations`, { type: 'ktip', name: 'TIP', config: { service: 'tipGeneral', baseUrl: sim.url, proxy: true }, secrets: { token: 'token-root-proxy-1' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.config.proxy, true);
    rootInstance = created.body.id;
    const second = await t.call('POST', `/api/v1/tenants/${t.rootId}/integrations`, { type: 'ktip', name: 'TIP 2', config: { service: 'openTip', baseUrl: sim.url }, secrets: { token: 'token-root-proxy-2' } });
    assert.equal(second.status, 409, 'one ktip integration per tenant');

    const child = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Customer after' });
    const copies = await t.call('GET', `/api/v1/tenants/${child.body.id}/integrations?type=ktip`);
    assert.equal(copies.body.items.length, 1);
    assert.equal(copies.body.items[0].config.proxy, false);
    // The copy works there, directly (the proxy is Root's).
    const before = sim.calls.count;
    const lines = proxyLog().length;
    const r = await t.app.services.enrichment.enrich(child.body.id, [{ type: 'domain', value: 'copy.example' }]);
    assert.equal(r[0].status, 'ok', JSON.stringify(r[0]));
    assert.equal(sim.calls.count, before + 1);
    assert.equal(proxyLog().length, lines, 'the child went direct');
  });

  test('a Root instance with the toggle on goes through the proxy: check and enrichment', async () => {
    const check = await t.call('POST', `/api/v1/tenants/${t.rootId}/integrations/${rootInstance}/check`);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    assert.match(check.body.message, /authenticated \(through the installation proxy\); 1 of 1000 requests used today/, "the copy shares the credential and its quota");
    const before = sim.calls.count;
    const r = await t.app.services.enrichment.enrich(t.rootId, [{ type: 'ip', value: '6.6.6.7' }, { type: 'url', value: 'http://evil.example/x?y=1' }]);
    assert.deepEqual(r.map((x) => [x.status, x.enrichment?.zone]), [['ok', 'Red'], ['ok', 'Red']]);
    assert.equal(sim.calls.count, before + 2);
    // tinyproxy logged the requests to the simulator (a tunnel, or forwarded plain HTTP).
    const log = proxyLog();
    assert.match(log, new RegExp(`(CONNECT 127\\.0\\.0\\.1:${sim.port}|GET http://127\\.0\\.0\\.1:${sim.port}/api/)`));
  });

  test('with the proxy down, calls fail and nothing reaches the service directly', async () => {
    await proxy.stop();
    const before = sim.calls.count;
    const r = await t.app.services.enrichment.enrich(t.rootId, [{ type: 'domain', value: 'bypass.example' }]);
    assert.equal(r[0].status, 'error');
    assert.match(r[0].error!.message, /proxy/);
    const check = await t.call('POST', `/api/v1/tenants/${t.rootId}/integrations/${rootInstance}/check`);
    assert.deepEqual([check.body.ok, check.body.stage], [false, 'connect']);
    assert.equal(sim.calls.count, before, 'no request bypassed the proxy');
  });
});
