import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { dialectsUnderTest } from '../../test/support/db.ts';
import { startKtipSimulator, type KtipSimulator } from '../../simulators/ktip/index.ts';

// Automatic enrichment on alert creation: a tenant setting (the ktip integration's
// autoEnrichNewAlerts), off by default because it spends quota.

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const { dialect, skip } of await dialectsUnderTest()) {
  describe(`automatic enrichment of new alerts on ${dialect}`, { skip }, () => {
    let t: TestApp;
    let sim: KtipSimulator;
    let n = 0;

    async function tenantWith(config: Record<string, unknown>) {
      const tenant = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: `Auto ${dialect} ${++n}` });
      assert.equal(tenant.status, 201, JSON.stringify(tenant.body));
      const created = await t.call('POST', `/api/v1/tenants/${tenant.body.id}/integrations`, { type: 'ktip', name: 'OpenTIP', config: { service: 'openTip', baseUrl: sim.url, ...config }, secrets: { token: `auto-token-${dialect}-${n}-xyz` } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { tenantId: tenant.body.id as string, instanceId: created.body.id as string, config: created.body.config };
    }
    const alert = async (tenantId: string, observables: { type: string; value: string }[]) => {
      const res = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, { title: 'Auto enrichment', severity: 'medium', source: 'auto-test', observables });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const calls = (value: string) => sim.calls.log.filter((c) => c.value === value).length;

    before(async () => {
      sim = await startKtipSimulator();
      t = await startTestApp(dialect, { XDRHUB_JOB_POLL_MS: '50' });
      await t.app.startWorker();
    });
    after(async () => {
      await t?.close();
      await sim?.close();
    });

    test('off by default: a new alert spends no request', async () => {
      const { tenantId, config } = await tenantWith({});
      assert.equal(config.autoEnrichNewAlerts, false);
      const value = `off-${dialect}.evil.example`;
      await alert(tenantId, [{ type: 'domain', value }]);
      await t.app.services.autoEnrichment.drain();
      assert.equal(calls(value), 0);
    });

    test('on: each new alert is enriched once, its observables show the result, repeats come from the cache', async () => {
      const { tenantId, instanceId } = await tenantWith({ autoEnrichNewAlerts: true });
      const domain = `on-${dialect}.evil.example`;
      const first = await alert(tenantId, [{ type: 'domain', value: domain }, { type: 'ip', value: '6.6.6.7' }, { type: 'userName', value: 'bob' }]);
      const enriched = await until('the Enrichment column', async () => {
        const a = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${first}`);
        const obs = a.body.observables as any[];
        return obs.filter((o) => o.enrichment).length === 2 ? obs : null;
      });
      const d = enriched.find((o: any) => o.value === domain);
      assert.deepEqual([d.enrichment.zone, d.enrichment.source], ['Red', 'Kaspersky OpenTIP']);
      assert.equal(enriched.find((o: any) => o.type === 'userName').enrichment, null, 'a non-enrichable type is left alone');
      assert.equal(calls(domain), 1);

      // A second alert with the same domain is filled from the cache: no new request.
      const second = await alert(tenantId, [{ type: 'domain', value: domain }]);
      await until('the second alert enriched', async () => (await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${second}`)).body.observables[0].enrichment);
      assert.equal(calls(domain), 1);

      // Turned off again: new alerts wait for "Enrich now".
      const patched = await t.call('PATCH', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`, { config: { service: 'openTip', baseUrl: sim.url, autoEnrichNewAlerts: false } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const later = `later-${dialect}.evil.example`;
      await alert(tenantId, [{ type: 'domain', value: later }]);
      await t.app.services.autoEnrichment.drain();
      assert.equal(calls(later), 0);
    });
  });
}
