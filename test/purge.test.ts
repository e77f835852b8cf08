import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { sql } from 'kysely';
import { dialectsUnderTest } from './support/db.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { dumpTables } from './support/dump.ts';

for (const d of await dialectsUnderTest()) {
  describe(`tenant deletion and purge (${d.dialect})`, { skip: d.skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(d.dialect, { XDRHUB_PURGE_DELAY_SECONDS: '0' });
      await t.app.startWorker();
    });
    after(async () => t?.close());

    test('deleting a subtree hides it at once and the purge leaves no row or ciphertext of it', async () => {
      const keep = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Keep me' });
      const top = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Doomed' });
      const mid = await t.call('POST', `/api/v1/tenants/${top.body.id}/children`, { name: 'Doomed child' });
      const leaf = await t.call('POST', `/api/v1/tenants/${mid.body.id}/children`, { name: 'Doomed grandchild' });
      const doomed = [top.body.id, mid.body.id, leaf.body.id];
      for (const id of [...doomed, keep.body.id]) {
        const res = await t.call('POST', `/api/v1/tenants/${id}/integrations`, { type: 'webhook', name: 'hook', config: { url: 'https://h.example.test/' }, secrets: { headerValue: `secret-of-${id}` } });
        assert.equal(res.status, 201);
      }
      // Alerts, incidents, comments and response history with a vault-held parameter in the subtree too.
      const alert = await t.call('POST', `/api/v1/tenants/${leaf.body.id}/alerts`, {
        title: 'Doomed alert', severity: 'high', source: 'purge-test', sourceId: 'p-1', rules: ['R-doomed'],
        observables: [{ type: 'ip', value: '198.51.100.77' }], assets: [{ kind: 'account', login: 'doomed-user', role: 'victim' }], events: [{ doomed: true }],
      });
      assert.equal(alert.status, 201, JSON.stringify(alert.body));
      assert.equal((await t.call('POST', `/api/v1/tenants/${leaf.body.id}/alerts/${alert.body.id}/comments`, { text: 'doomed comment' })).status, 201);
      assert.equal((await t.call('POST', `/api/v1/tenants/${leaf.body.id}/incidents`, { title: 'Doomed incident', severity: 'low', alertIds: [alert.body.id] })).status, 201);
      const ad = await t.call('POST', `/api/v1/tenants/${leaf.body.id}/integrations`, { type: 'ldap', name: 'AD', config: { domainControllers: ['ldaps://127.0.0.1:1'], tlsMode: 'ldaps', baseDn: 'DC=x,DC=test', bindAccount: 'a@x.test' }, secrets: { bindPassword: 'x' } });
      assert.equal(ad.status, 201, JSON.stringify(ad.body));
      const pending = await t.call('POST', `/api/v1/tenants/${leaf.body.id}/response/launches`, { instanceId: ad.body.id, action: 'resetPassword', params: { password: 'Pending-Reset-Pass-1!' }, targets: [{ kind: 'account', value: 'doomed-user' }], approval: { required: true } });
      assert.equal(pending.status, 201, JSON.stringify(pending.body));
      const analyst = await t.userWithRole('tier1', mid.body.id);
      assert.equal((await t.call('GET', `/api/v1/tenants/${mid.body.id}`, undefined, analyst.token)).status, 200);

      const del = await t.call('DELETE', `/api/v1/tenants/${top.body.id}`);
      assert.equal(del.status, 202);
      assert.equal(del.body.deletedTenants, 3);
      for (const id of doomed) assert.equal((await t.call('GET', `/api/v1/tenants/${id}/integrations`)).status, 404);
      // A user homed in the deleted subtree can no longer act.
      assert.equal((await t.call('GET', '/api/v1/me', undefined, analyst.token)).status, 401);

      const jobs = await t.app.services.jobs.list({ kind: 'tenants.purge' });
      const job = jobs.items.find((j) => (j.payload as { tenantIds: string[] }).tenantIds.includes(top.body.id))!;
      const done = await t.app.services.jobs.waitFor(job.id, 20_000);
      assert.equal(done.status, 'succeeded', done.lastError ?? '');

      const dump = await dumpTables(t.app.services.database);
      // The audit log keeps its entries: it is the tamper-evident record of the deletion itself
      // and holds no settings or secrets. The purge job's own row names what it purged.
      const exempt = new Set(['audit_log', 'audit_head']);
      for (const [table, rows] of dump) {
        if (exempt.has(table)) continue;
        for (const row of rows) {
          if (table === 'jobs' && row.includes('"kind":"tenants.purge"')) continue;
          for (const id of doomed) assert.ok(!row.includes(id), `${table} still holds a row of purged tenant ${id}: ${row.slice(0, 200)}`);
        }
      }
      // The sibling kept everything.
      const kept = await t.call('GET', `/api/v1/tenants/${keep.body.id}/integrations`);
      assert.equal(kept.body.total, 1);
      assert.equal(await t.app.services.vault.get({ tenantId: keep.body.id, ownerKind: 'integration', ownerId: kept.body.items[0].id }, 'headerValue'), `secret-of-${keep.body.id}`);
      if (d.dialect === 'sqlite') {
        await sql`pragma wal_checkpoint(TRUNCATE)`.execute(t.app.services.database.db);
        const file = fs.readFileSync(t.app.services.database.location).toString('latin1');
        for (const id of doomed) assert.ok(!file.includes(`secret-of-${id}`));
      }
    });
  });
}
