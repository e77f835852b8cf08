import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { dialectsUnderTest } from '../../test/support/db.ts';
import { startKtipSimulator, type KtipSimulator } from '../../simulators/ktip/index.ts';
import type { Database } from '../platform/db/index.ts';
import { EnrichmentService, type Observable } from './index.ts';

// The enrichment service over the real app (framework, vault, both SQL dialects) and the
// TIP/OpenTIP simulator: cache and TTL, coalescing in and across processes, quotas, token
// replacement, copies to child tenants, Premium status refresh, and the secret canary.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

for (const { dialect, skip } of await dialectsUnderTest()) {
  describe(`enrichment on ${dialect}`, { skip }, () => {
    let t: TestApp;
    let sim: KtipSimulator;
    let offset = 0;
    const clock = () => Date.now() + offset;
    let svc: EnrichmentService;
    let n = 0;
    const token = () => `tok-${dialect}-${++n}-canary-Q7w`;
    const tokensUsed: string[] = [];

    /** A fresh child tenant with its own ktip instance and token. */
    async function tenantWith(config: Record<string, unknown>, secret = token(), simulator = sim) {
      tokensUsed.push(secret);
      const tenant = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: `Customer ${dialect} ${n}-${Math.random().toString(36).slice(2, 6)}` });
      assert.equal(tenant.status, 201, JSON.stringify(tenant.body));
      const created = await t.call('POST', `/api/v1/tenants/${tenant.body.id}/integrations`, { type: 'ktip', name: 'Kaspersky TIP', config: { baseUrl: simulator.url, ...config }, secrets: { token: secret } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { tenantId: tenant.body.id as string, instanceId: created.body.id as string, token: secret };
    }
    const upstream = (value: string) => sim.calls.log.filter((c) => c.value === value).length;

    before(async () => {
      sim = await startKtipSimulator({ latencyMs: 5 });
      t = await startTestApp(dialect);
      svc = new EnrichmentService({ database: t.app.services.database, integrations: t.app.services.integrations, logger: t.app.logger, clock, pollMs: 10 });
    });
    after(async () => {
      await t?.close();
      await sim?.close();
    });

    test('a lookup is cached; non-enrichable types and tenants without the integration cost no request', async () => {
      const { tenantId } = await tenantWith({ service: 'openTip' });
      const obs: Observable[] = [
        { type: 'domain', value: 'Evil.Example.COM.' },
        { type: 'email', value: 'x@evil.example.com' },
        { type: 'sha1', value: 'a'.repeat(40) },
        { type: 'md5', value: 'not-a-hash' },
        { type: 'domain', value: 'evil.example.com' },
      ];
      const before = sim.calls.count;
      const first = await svc.enrich(tenantId, obs);
      assert.equal(sim.calls.count, before + 1, 'the repeated domain was looked up once');
      assert.deepEqual(first.map((r) => r.status), ['ok', 'notEnrichable', 'notEnrichable', 'notEnrichable', 'ok']);
      assert.deepEqual([first[0].value, first[0].enrichment?.zone, first[0].enrichment?.source, first[0].cached], ['Evil.Example.COM.', 'Red', 'Kaspersky OpenTIP', false]);
      const second = await svc.enrich(tenantId, [{ type: 'domain', value: 'evil.example.com' }]);
      assert.equal(sim.calls.count, before + 1);
      assert.deepEqual([second[0].status, second[0].cached, second[0].enrichment], ['ok', true, first[0].enrichment]);

      const bare = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: `Bare ${dialect}` });
      const none = await svc.enrich(bare.body.id, [{ type: 'ip', value: '6.6.6.6' }, { type: 'userName', value: 'bob' }]);
      assert.deepEqual(none.map((r) => r.status), ['notConfigured', 'notEnrichable']);
      assert.match(none[0].error!.message, /no enabled Kaspersky TIP integration/);
      assert.equal(sim.calls.count, before + 1);
    });

    test('cache TTL in days, in hours, and unlimited; force refresh bypasses it', async () => {
      const { tenantId, instanceId } = await tenantWith({ service: 'tipGeneral', cacheTtl: { value: 2, unit: 'days' } });
      const v = [{ type: 'ip', value: '6.6.6.1' }];
      offset = 0;
      await svc.enrich(tenantId, v);
      offset = 2 * DAY - HOUR;
      assert.equal((await svc.enrich(tenantId, v))[0].cached, true);
      offset = 2 * DAY + 1;
      assert.equal((await svc.enrich(tenantId, v))[0].cached, false, 'expired after two days');
      assert.equal(upstream('6.6.6.1'), 2);

      const patch = (cacheTtl: unknown) => t.call('PATCH', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`, { config: { service: 'tipGeneral', baseUrl: sim.url, cacheTtl } });
      assert.equal((await patch({ value: 3, unit: 'hours' })).status, 200);
      offset += 3 * HOUR - 60_000;
      assert.equal((await svc.enrich(tenantId, v))[0].cached, true);
      offset += 120_000;
      assert.equal((await svc.enrich(tenantId, v))[0].cached, false, 'expired after three hours');
      assert.equal(upstream('6.6.6.1'), 3);

      assert.equal((await patch({ value: null, unit: 'days' })).status, 200);
      offset += 3650 * DAY;
      assert.equal((await svc.enrich(tenantId, v))[0].cached, true, 'unlimited');
      const forced = await svc.enrich(tenantId, v, { force: true });
      assert.deepEqual([forced[0].cached, upstream('6.6.6.1')], [false, 4]);
      assert.equal((await svc.enrich(tenantId, v))[0].cached, true);
      offset = 0;
    });

    test('100 concurrent identical requests make one upstream call', async () => {
      const { tenantId } = await tenantWith({ service: 'openTip' });
      sim.setLatency(50);
      try {
        const value = `concurrent-${dialect}.example.com`;
        const all = await Promise.all(Array.from({ length: 100 }, () => svc.enrich(tenantId, [{ type: 'domain', value }])));
        assert.equal(upstream(value), 1);
        assert.ok(all.every((r) => r[0].status === 'ok' && r[0].enrichment?.zone === 'Green'));
      } finally {
        sim.setLatency(5);
      }
    });

    test('two worker processes (own database pools, own in-process maps) share one upstream call', async () => {
      const { tenantId } = await tenantWith({ service: 'openTip' });
      const other: Database = await t.testDb.open();
      try {
        const worker2 = new EnrichmentService({ database: other, integrations: t.app.services.integrations, logger: t.app.logger, clock, pollMs: 10 });
        sim.setLatency(150);
        const value = `across-${dialect}.example.org`;
        const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? worker2 : svc).enrich(tenantId, [{ type: 'domain', value }])));
        assert.equal(upstream(value), 1);
        assert.ok(runs.every((r) => r[0].status === 'ok'));
        // Forced refreshes from both workers at once are one call too.
        await Promise.all([svc.enrich(tenantId, [{ type: 'domain', value }], { force: true }), worker2.enrich(tenantId, [{ type: 'domain', value }], { force: true })]);
        assert.equal(upstream(value), 2);
      } finally {
        sim.setLatency(5);
        await other.close();
      }
    });

    test('OpenTIP quota: 403 stops requests for the credential until the reset, and says so', async () => {
      const limited = await startKtipSimulator({ quota: 2 });
      try {
        const { tenantId } = await tenantWith({ service: 'openTip' }, token(), limited);
        const ok = await svc.enrich(tenantId, [{ type: 'domain', value: 'q1.example' }, { type: 'domain', value: 'q2.example' }]);
        assert.deepEqual(ok.map((r) => r.status), ['ok', 'ok']);
        const over = await svc.enrich(tenantId, [{ type: 'domain', value: 'q3.example' }]);
        assert.equal(over[0].status, 'error');
        assert.equal(over[0].error!.kind, 'quota');
        assert.match(over[0].error!.message, /^Kaspersky OpenTIP: quota exhausted until \d{4}-\d\d-\d\dT00:00:00\.000Z$/);
        const calls = limited.calls.count;
        const blocked = await svc.enrich(tenantId, [{ type: 'ip', value: '8.8.8.8' }, { type: 'url', value: 'http://q4.example/' }]);
        assert.deepEqual(blocked.map((r) => r.error?.kind), ['quota', 'quota']);
        assert.match(blocked[0].error!.message, /quota exhausted until .*; no request was sent/);
        assert.equal(limited.calls.count, calls, 'no request while exhausted');
        // Cached results are still served.
        assert.equal((await svc.enrich(tenantId, [{ type: 'domain', value: 'q1.example' }]))[0].cached, true);
        const q = await svc.quota(tenantId);
        assert.deepEqual([q.requestsToday, q.remaining, q.exhaustedUntil], [2, 0, over[0].error!.retryAt]);
        assert.match(q.message, /quota exhausted until/);

        // The next UTC day: the service resets the quota, and requests resume.
        offset = Date.parse(over[0].error!.retryAt!) - Date.now() + 1000;
        limited.resetQuota();
        const again = await svc.enrich(tenantId, [{ type: 'domain', value: 'q3.example' }]);
        assert.deepEqual([again[0].status, again[0].cached], ['ok', false]);
        assert.equal((await svc.quota(tenantId)).requestsToday, 1, 'a new day of counting');
      } finally {
        offset = 0;
        await limited.close();
      }
    });

    test('TIP quota: LicenseInfo gives the remaining quota; at the day quota requests stop', async () => {
      const limited = await startKtipSimulator({ quota: 3 });
      try {
        const { tenantId } = await tenantWith({ service: 'tipGeneral' }, token(), limited);
        await svc.enrich(tenantId, [{ type: 'domain', value: 'l1.example' }]);
        let q = await svc.quota(tenantId);
        assert.deepEqual([q.dayQuota, q.remaining, q.license?.dayRequests, q.license?.tokenExpiresAt], [3, 2, 1, '2027-11-28T00:00:00Z']);
        assert.equal(q.message, '2 of 3 requests left today');
        await svc.enrich(tenantId, [{ type: 'domain', value: 'l2.example' }, { type: 'domain', value: 'l3.example' }]);
        q = await svc.quota(tenantId);
        assert.equal(q.remaining, 0);
        const calls = limited.calls.count;
        const r = await svc.enrich(tenantId, [{ type: 'domain', value: 'l4.example' }]);
        assert.equal(r[0].error?.kind, 'quota');
        assert.match(r[0].error!.message, /quota exhausted until .* \(3 of 3 requests used\); no request was sent/);
        assert.equal(limited.calls.count, calls);
      } finally {
        await limited.close();
      }
    });

    test('replacing the token (PUT …/secrets) invalidates the cache', async () => {
      const { tenantId, instanceId } = await tenantWith({ service: 'openTip' });
      const v = [{ type: 'sha256', value: 'b'.repeat(64) }];
      await svc.enrich(tenantId, v);
      assert.equal((await svc.enrich(tenantId, v))[0].cached, true);
      const next = token();
      tokensUsed.push(next);
      const put = await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/secrets`, { values: { token: next } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const after = await svc.enrich(tenantId, v);
      assert.equal(after[0].cached, false);
      assert.equal(sim.calls.log.at(-1)!.apiKey, next);
      assert.equal(upstream('b'.repeat(64)), 2);
      assert.equal((await svc.quota(tenantId)).requestsToday, 1, 'the new credential counts from zero');
    });

    test('settings copied to a child tenant keep working there, with the child\'s own cache', async () => {
      const { tenantId: parentId } = await tenantWith({ service: 'openTip' });
      const value = `family-${dialect}.example.net`;
      await svc.enrich(parentId, [{ type: 'domain', value }]);
      const child = await t.call('POST', `/api/v1/tenants/${parentId}/children`, { name: 'Child site' });
      assert.equal(child.status, 201);
      const copies = await t.call('GET', `/api/v1/tenants/${child.body.id}/integrations`);
      assert.deepEqual(copies.body.items.map((i: any) => [i.type, i.secrets.map((s: any) => s.field)]), [['ktip', ['token']]]);
      const first = await svc.enrich(child.body.id, [{ type: 'domain', value }]);
      assert.deepEqual([first[0].status, first[0].cached], ['ok', false], 'the parent\'s cache is not the child\'s');
      assert.equal((await svc.enrich(child.body.id, [{ type: 'domain', value }]))[0].cached, true);
      assert.equal((await svc.enrich(parentId, [{ type: 'domain', value }]))[0].cached, true);
      assert.equal(upstream(value), 2);
      // Purging the child's rows leaves the parent's cache.
      await svc.purgeTenants([child.body.id]);
      assert.equal((await svc.enrich(parentId, [{ type: 'domain', value }]))[0].cached, true);
      assert.equal(upstream(value), 2);
    });

    test('Premium: Enrichment and Status update; the status refresh spends no quota', async () => {
      const { tenantId } = await tenantWith({ service: 'tipPremium' });
      const v = [{ type: 'url', value: 'http://adware.example.com/dl' }];
      const r = await svc.enrich(tenantId, v);
      assert.deepEqual([r[0].enrichment?.zone, r[0].statusUpdate?.zone], ['Yellow', 'Yellow']);
      const before = await svc.quota(tenantId);
      const refreshed = await svc.refreshStatus(tenantId, [...v, { type: 'hostName', value: 'pc1' }]);
      assert.deepEqual(refreshed.map((x) => x.status), ['ok', 'notEnrichable']);
      assert.equal(refreshed[0].statusUpdate?.zone, 'Yellow');
      assert.deepEqual([sim.calls.log.at(-1)!.query, sim.calls.log.at(-1)!.counted], ['format=json&sections=Zone', false]);
      const after = await svc.quota(tenantId);
      assert.deepEqual([after.requestsToday, after.statusRequestsToday], [before.requestsToday, before.statusRequestsToday + 1]);
      const cached = await svc.enrich(tenantId, v);
      assert.equal(cached[0].cached, true);
      assert.ok(cached[0].statusUpdate!.fetchedAt >= r[0].statusUpdate!.fetchedAt);
      // General access has no Status update.
      const { tenantId: general } = await tenantWith({ service: 'tipGeneral' });
      const no = await svc.refreshStatus(general, v);
      assert.equal(no[0].status, 'notConfigured');
      assert.match(no[0].error!.message, /Premium access/);
    });

    test("API: an alert's and an incident's Status update column is refreshed without quota", async () => {
      const { tenantId } = await tenantWith({ service: 'tipPremium' });
      const url = 'http://adware.example.com/api-refresh';
      const created = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, {
        source: 'test', sourceId: `refresh-${dialect}`, title: 'Adware download', severity: 'low',
        observables: [{ type: 'url', value: url }, { type: 'hostName', value: 'pc1' }],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const before = await svc.quota(tenantId);
      const res = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts/${created.body.id}/refresh-status`, {});
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.items.map((x: any) => x.status).sort(), ['notEnrichable', 'ok']);
      const details = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${created.body.id}`);
      const obs = details.body.observables.find((o: any) => o.type === 'url');
      assert.equal(obs.statusUpdate.zone, 'Yellow');
      assert.ok(obs.statusUpdateAt, 'the column has its time');
      assert.equal(obs.enrichment, null, 'the Enrichment column is untouched');
      const after = await svc.quota(tenantId);
      assert.equal(after.requestsToday, before.requestsToday, 'no quota spent');

      const inc = await t.call('POST', `/api/v1/tenants/${tenantId}/incidents`, { title: 'Adware', severity: 'low', alertIds: [created.body.id] });
      assert.equal(inc.status, 201, JSON.stringify(inc.body));
      const viaIncident = await t.call('POST', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}/refresh-status`, { observableIds: [obs.id] });
      assert.deepEqual(viaIncident.body.items.map((x: any) => [x.value, x.status]), [[obs.value, 'ok']]);
      // General access says why there is nothing to refresh, per observable, with a 200.
      const { tenantId: general } = await tenantWith({ service: 'tipGeneral' });
      const other = await t.call('POST', `/api/v1/tenants/${general}/alerts`, { source: 'test', sourceId: `refresh-g-${dialect}`, title: 'x', severity: 'low', observables: [{ type: 'url', value: url }] });
      const no = await t.call('POST', `/api/v1/tenants/${general}/alerts/${other.body.id}/refresh-status`);
      assert.equal(no.status, 200, JSON.stringify(no.body));
      assert.equal(no.status, 200);
      assert.match(no.body.items[0].error.message, /Premium access/);
    });

    test('secret canary: no token in results, quota reports, errors or logs', async () => {
      const { tenantId } = await tenantWith({ service: 'openTip' }, 'invalid-CANARY-token-5e1d');
      const bad = await svc.enrich(tenantId, [{ type: 'domain', value: 'canary.example' }]);
      assert.equal(bad[0].error?.message, 'Kaspersky OpenTIP: token invalid or expired: replace it');
      const out = JSON.stringify([bad, await svc.quota(tenantId)]);
      const logs = t.logs.text();
      for (const secret of tokensUsed) {
        assert.ok(!out.includes(secret), 'result leaks a token');
        assert.ok(!logs.includes(secret), 'log leaks a token');
      }
      const api = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations`);
      assert.ok(!JSON.stringify(api.body).includes('invalid-CANARY-token-5e1d'));
    });
  });
}
