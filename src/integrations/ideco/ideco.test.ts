import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { createTestCa } from '../../../test/support/tls.ts';
import { startIdecoSimulator, type IdecoSimulator } from '../../../simulators/ideco/index.ts';
import { fingerprintSha256 } from '../../platform/outbound/index.ts';
import { idecoBatchSizes } from './index.ts';

// Ideco NGFW and Ideco UTM against their simulators (HTTPS with a private CA), through the
// framework: settings and check over the HTTP API, actions through IntegrationsService.runAction.
const PASSWORD = 'Ideco-Canary-Pa55word!';
let t: TestApp;
let ca: Awaited<ReturnType<typeof createTestCa>>;
let tenantId: string;

before(async () => {
  t = await startTestApp('sqlite', { XDRHUB_JOB_POLL_MS: '50' });
  await t.app.startWorker();
  ca = await createTestCa('ideco test CA');
  tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Ideco customer' })).body.id;
});
after(async () => {
  await t?.close();
});

async function waitFor(actionId: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions/${actionId}`);
    if (['succeeded', 'failed', 'rejected', 'timedOut', 'cancelled'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`action ${actionId} is still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const variant of ['ngfw', 'utm'] as const) {
  const type = `ideco-${variant}`;
  describe(`${type} (simulator)`, () => {
    let sim: IdecoSimulator;
    let certPem: string;
    let instanceId: string;
    const LIST = 'xdrhub blocked IPs';
    const run = (action: string, target: any, params: unknown = {}, id = instanceId) => t.app.services.integrations.runAction(tenantId, id, action, target, params);
    const ip = (value: string) => ({ kind: 'observable:ip' as const, value });
    const config = () => ({ address: sim.url, caCertificate: ca.cert });

    before(async () => {
      const leaf = await ca.issue({ cn: 'ideco.test', ips: ['127.0.0.1'] });
      certPem = leaf.cert;
      sim = await startIdecoSimulator({ variant, tls: leaf, users: { admin: PASSWORD } });
    });
    after(async () => {
      await sim?.close();
    });

    test('settings over the HTTP API; check logs in, reads once, logs out', async () => {
      const created = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type, name: `Ideco ${variant}`, config: config(), secrets: { login: 'admin', password: PASSWORD } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      instanceId = created.body.id;
      assert.ok(!JSON.stringify(created.body).includes(PASSWORD));
      assert.equal(created.body.config.addressListName, LIST);
      const check = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`);
      assert.equal(check.body.ok, true, JSON.stringify(check.body));
      assert.match(check.body.message, /will be created on first block/);
      assert.deepEqual([sim.state.logins, sim.state.logouts, sim.state.sessions.size], [1, 1, 0]);
      assert.deepEqual(sim.requests.map((r) => r.method), ['POST', 'GET', 'DELETE']);
    });

    test('check reports the failing stage: credentials, TLS trust, pin, product type', async () => {
      const draft = (cfg: Record<string, unknown>, secrets?: Record<string, unknown>, asType = type) =>
        t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: asType, ...(asType === type ? { instanceId } : {}), config: { address: sim.url, ...cfg }, secrets: secrets ?? (asType === type ? undefined : { login: 'admin', password: PASSWORD }) });
      const wrong = await draft({ caCertificate: ca.cert }, { password: 'wrong' });
      assert.deepEqual([wrong.body.ok, wrong.body.stage], [false, 'authenticate']);
      assert.match(wrong.body.message, /refused the login/);
      const untrusted = await draft({});
      assert.deepEqual([untrusted.body.ok, untrusted.body.stage], [false, 'tls']);
      const pinned = await draft({ pinSha256: fingerprintSha256(certPem) });
      assert.equal(pinned.body.ok, true, JSON.stringify(pinned.body));
      const badPin = await draft({ pinSha256: 'AB'.repeat(32) });
      assert.deepEqual([badPin.body.ok, badPin.body.stage], [false, 'tls']);
      if (variant === 'utm') {
        // An NGFW integration pointed at a UTM: the login works, the NGFW-only handler does not.
        const mismatch = await draft({ caCertificate: ca.cert }, undefined, 'ideco-ngfw');
        assert.deepEqual([mismatch.body.ok, mismatch.body.stage], [false, 'request']);
        assert.match(mismatch.body.message, /Choose the other Ideco type/);
      }
    });

    test('blockIp creates the managed list and drop rules on first use, says so, and is idempotent', async () => {
      const first = await run('blockIp', ip('203.0.113.7'));
      assert.deepEqual(first.output!.blocked, ['203.0.113.7']);
      assert.deepEqual(first.output!.created, [`address list "${LIST}"`, 'firewall rule "xdrhub: drop blocked IPs (to listed IPs)"', 'firewall rule "xdrhub: drop blocked IPs (from listed IPs)"']);
      assert.match(first.summary, /created address list/);
      assert.deepEqual(sim.blockedIps(LIST), ['203.0.113.7']);
      const listId = [...sim.state.aliases.values()].find((a) => a.title === LIST)!.id;
      assert.equal(sim.state.forwardRules.length, 2);
      assert.ok(sim.state.forwardRules.every((r) => r.action === 'drop' && r.enabled === true));
      assert.deepEqual(sim.state.forwardRules.map((r) => [r.destination_addresses, r.source_addresses]), [[[listId], ['any']], [['any'], [listId]]]);

      const again = await run('blockIp', ip('203.0.113.7'));
      assert.deepEqual([again.output!.blocked, again.output!.alreadyBlocked, again.output!.created], [[], ['203.0.113.7'], []]);
      assert.match(again.summary, /already blocked/);
      assert.equal(sim.state.forwardRules.length, 2);
    });

    test('IPv6 (normalised), unblock as the undo, and unblocking what is not blocked', async () => {
      const v6 = await run('blockIp', ip('2001:DB8:0:0::1'));
      assert.deepEqual(v6.output!.blocked, ['2001:db8::1']);
      assert.deepEqual(sim.blockedIps(LIST).sort(), ['2001:db8::1', '203.0.113.7']);
      const catalogue = await t.app.services.integrations.catalogue(tenantId);
      assert.equal(catalogue.find((c) => c.instanceId === instanceId && c.action === 'blockIp')!.undo, 'unblockIp');
      const undo = await run('unblockIp', ip('2001:db8::1'));
      assert.deepEqual(undo.output!.unblocked, ['2001:db8::1']);
      assert.deepEqual(sim.blockedIps(LIST), ['203.0.113.7']);
      const none = await run('unblockIp', ip('198.51.100.99'));
      assert.deepEqual(none.output!.notBlocked, ['198.51.100.99']);
      if (variant === 'utm') assert.ok(![...sim.state.aliases.values()].some((a) => a.value === '2001:db8::1'), 'the IP object xdrhub made is deleted');
      await assert.rejects(run('blockIp', ip('10.0.0.256')), /not an IPv4 or IPv6 address/);
      await assert.rejects(run('blockIp', ip('1.2.3.4'), { values: ['5.6.7.8', '0x7f.1'] }), /refused 1 value\(s\), nothing was changed/);
      assert.ok(!sim.blockedIps(LIST).includes('1.2.3.4'));
    });

    test('1,000 IPs launched as 1,000 actions are batched into a few sessions and list updates', async (tc) => {
      const before = sim.requests.length;
      const loginsBefore = sim.state.logins;
      const batchesBefore = idecoBatchSizes.length;
      const ips = Array.from({ length: 1000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
      const results = await Promise.all(ips.map((v) => run('blockIp', ip(v))));
      assert.ok(results.every((r) => (r.output!.blocked as string[]).length === 1));
      assert.equal(sim.blockedIps(LIST).length, 1001);
      const batches = idecoBatchSizes.slice(batchesBefore);
      const used = sim.requests.length - before;
      tc.diagnostic(`${type}: ${used} upstream requests in ${batches.length} batches ${JSON.stringify(batches)}`);
      assert.ok(batches.length <= 5, `few batches, got ${batches.length}`);
      assert.equal(sim.state.logins - loginsBefore, 0, 'the cached session is reused');
      // NGFW: per batch GET list + PUT list + GET rules; UTM adds one POST per new address object.
      if (variant === 'ngfw') assert.ok(used <= batches.length * 3, `${used} requests`);
      else assert.ok(used <= 1000 + batches.length * 4, `${used} requests`);

      const viaParams = await run('unblockIp', ip(ips[0]), { values: ips.slice(1) });
      assert.equal((viaParams.output!.unblocked as string[]).length, 1000);
      assert.deepEqual(sim.blockedIps(LIST), ['203.0.113.7']);
    });

    test('an expired session logs in again once and the call succeeds', async () => {
      sim.expireSessions();
      const logins = sim.state.logins;
      const res = await run('blockIp', ip('198.51.100.1'));
      assert.deepEqual(res.output!.blocked, ['198.51.100.1']);
      assert.equal(sim.state.logins, logins + 1);
      const unauthorized = sim.requests.filter((r) => r.status === 401);
      assert.equal(unauthorized.at(-1)!.authenticated, false);
    });

    test('wrong credentials fail the action with words, without retry loops', async () => {
      const bad = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type, name: `Ideco ${variant} bad`, config: config(), secrets: { login: 'admin', password: 'not-it' } });
      const before = sim.requests.length;
      await assert.rejects(run('blockIp', ip('198.51.100.2'), {}, bad.body.id), /refused the login .*check the login and password/);
      assert.equal(sim.requests.length - before, 1, 'one login attempt');
    });

    test('URLs and domains through the content filter, with undo and idempotency', async () => {
      const url = await run('blockUrl', { kind: 'observable:url', value: 'https://Evil.Example/payload?id=1#frag' });
      assert.deepEqual(url.output!.blocked, ['evil.example/payload?id=1']);
      assert.deepEqual(url.output!.created, ['content-filter category "xdrhub blocked URLs"', 'content-filter rule "xdrhub: deny blocked URLs"']);
      const dom = await run('blockDomain', { kind: 'observable:domain', value: 'Bad.Example.' });
      assert.deepEqual([dom.output!.blocked, dom.output!.created], [['bad.example'], []]);
      const again = await run('blockDomain', { kind: 'observable:domain', value: 'bad.example' });
      assert.deepEqual(again.output!.alreadyBlocked, ['bad.example']);
      const cat = [...sim.state.categories.values()][0];
      assert.deepEqual(cat.urls, ['evil.example/payload?id=1', 'bad.example']);
      assert.deepEqual(sim.state.contentRules.map((r) => [r.name, r.access, r.categories]), [['xdrhub: deny blocked URLs', 'deny', [cat.id]]]);
      await run('unblockDomain', { kind: 'observable:domain', value: 'bad.example' });
      await run('unblockUrl', { kind: 'observable:url', value: 'https://evil.example/payload?id=1' });
      assert.deepEqual(cat.urls, []);
    });

    test('hostile values: a 10 KB URL and CRLF are refused before any call; JSON metacharacters travel as data', async () => {
      const before = sim.requests.length;
      await assert.rejects(run('blockUrl', { kind: 'observable:url', value: `https://a.example/${'x'.repeat(10_240)}` }), /at most 2048/);
      await assert.rejects(run('blockUrl', { kind: 'observable:url', value: 'https://a.example/x\r\nSet-Cookie: a=b' }), /URL contains a line break/);
      await assert.rejects(run('blockDomain', { kind: 'observable:domain', value: 'a.example\r\nb' }), /domain name contains a line break/);
      await assert.rejects(run('blockUrl', { kind: 'observable:url', value: 'javascript:alert(1)' }), /not an http\(s\) URL/);
      // Trailing line breaks too: refused, not trimmed into a different value.
      await assert.rejects(run('blockUrl', { kind: 'observable:url', value: 'https://a.example/x\r\n' }), /URL contains a line break/);
      await assert.rejects(run('blockIp', { kind: 'observable:ip', value: '203.0.113.77\n' }), /IP address contains a line break/);
      await assert.rejects(run('blockDomain', { kind: 'observable:domain', value: 'a.example\r' }), /domain name contains a line break/);
      assert.equal(sim.requests.length, before, 'nothing reached the firewall');
      const meta = 'https://a.example/p"},{"urls":["*"]}\\\'$(x)';
      const res = await run('blockUrl', { kind: 'observable:url', value: meta });
      assert.deepEqual(res.output!.blocked, ['a.example/p"},{"urls":["*"]}\\\'$(x)']);
      assert.deepEqual([...sim.state.categories.values()][0].urls, ['a.example/p"},{"urls":["*"]}\\\'$(x)']);
    });

    test('through the response module: one launch for three IPs, then Undo of one', async () => {
      const targets = ['192.0.2.21', '192.0.2.22', '192.0.2.23'].map((value) => ({ kind: 'observable:ip', value }));
      const launch = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'blockIp', targets });
      assert.equal(launch.status, 201, JSON.stringify(launch.body));
      const done = await Promise.all(launch.body.actions.map((a: any) => waitFor(a.id)));
      assert.ok(done.every((a) => a.status === 'succeeded'), JSON.stringify(done.map((a) => a.status)));
      for (const v of ['192.0.2.21', '192.0.2.22', '192.0.2.23']) assert.ok(sim.blockedIps(LIST).includes(v));
      const first = launch.body.actions[0];
      const undo = await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${first.id}/undo`, {});
      assert.equal(undo.status, 201, JSON.stringify(undo.body));
      assert.equal(undo.body.action, 'unblockIp');
      assert.equal((await waitFor(undo.body.id)).status, 'succeeded');
      const undone = first.target.value;
      assert.ok(!sim.blockedIps(LIST).includes(undone), `${undone} is unblocked`);
      assert.equal(['192.0.2.21', '192.0.2.22', '192.0.2.23'].filter((v) => sim.blockedIps(LIST).includes(v)).length, 2, 'the other two stay blocked');
    });

    test('upstream faults surface with the status and no secret', async () => {
      sim.failNext(500, 1, '/aliases');
      await assert.rejects(run('blockIp', ip('198.51.100.3')), (err: Error) => /HTTP 500/.test(err.message) && !err.message.includes(PASSWORD));
      const ok = await run('blockIp', ip('198.51.100.3'));
      assert.deepEqual(ok.output!.blocked, ['198.51.100.3']);
    });
  });
}

test('secret canary: the Ideco password is in no log line and no stored setting', async () => {
  const list = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations`);
  assert.equal(list.status, 200);
  assert.ok(!JSON.stringify(list.body).includes(PASSWORD));
  assert.ok(!t.logs.text().includes(PASSWORD));
});
