import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { dialectsUnderTest } from '../../../test/support/db.ts';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import type { ConnectorContext } from './contract.ts';

// ConnectorContext.secretsSetAt / secretsUsedAt / noteSecretUsed: connectors learn when each
// secret was set and last used — times only, never values — and a child tenant's copy keeps the
// parent's times, because it is the same credential.
const SECRET = 'Bearer secret-times-canary-5b8e1f';

for (const d of await dialectsUnderTest()) {
  describe(`secret set and use times on the connector context (${d.dialect})`, { skip: d.skip }, () => {
    let t: TestApp;
    let tenantId: string;
    before(async () => {
      t = await startTestApp(d.dialect);
      tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Times parent' })).body.id;
    });
    after(async () => t?.close());

    const create = async (tenant: string, name: string) => {
      const res = await t.call('POST', `/api/v1/tenants/${tenant}/integrations`, { type: 'webhook', name, config: { url: 'https://hooks.example.test/in' }, secrets: { headerValue: SECRET } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const contextOf = (tenant: string, id: string) => t.app.services.integrations.withConnector(tenant, id, async (ctx) => ctx);
    const setTimes = (id: string, times: { updated_at?: number; used_at?: number | null }) =>
      t.app.services.database.db.updateTable('secrets').set(times).where('owner_id', '=', id).where('field', '=', 'headerValue').execute();
    const described = async (tenant: string, id: string) => (await t.app.services.vault.describe({ tenantId: tenant, ownerKind: 'integration', ownerId: id }))[0];

    test('the context carries set and use times by field, never values', async () => {
      const id = await create(tenantId, 'times');
      const view = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${id}`);
      const ctx: ConnectorContext = await contextOf(tenantId, id);
      assert.deepEqual(Object.keys(ctx.secretsSetAt!), ['headerValue']);
      assert.equal(typeof ctx.secretsSetAt!.headerValue, 'number');
      assert.equal(new Date(ctx.secretsSetAt!.headerValue!).toISOString(), view.body.secrets[0].updatedAt);
      assert.deepEqual(ctx.secretsUsedAt, { headerValue: null });
      assert.equal(view.body.secrets[0].lastUsedAt, null);
      assert.equal(typeof ctx.noteSecretUsed, 'function');
      const times = JSON.stringify([ctx.secretsSetAt, ctx.secretsUsedAt]);
      assert.equal(times.includes(SECRET), false);
      assert.equal(times.includes('secret-times'), false);
      // Webhook has no standing status.
      assert.equal(view.body.status, null);
    });

    test('noteSecretUsed records a use at most once a day, for the value the context holds', async () => {
      const id = await create(tenantId, 'uses');
      const first = await contextOf(tenantId, id);
      const before = Date.now();
      await first.noteSecretUsed!('headerValue');
      const used = (await described(tenantId, id)).usedAt!;
      assert.ok(used >= before);
      assert.equal(first.secretsUsedAt!.headerValue, used);
      const view = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${id}`);
      assert.equal(view.body.secrets[0].lastUsedAt, new Date(used).toISOString());

      // Within a day: nothing written, neither from this context nor from a new one.
      await sleep(5);
      await first.noteSecretUsed!('headerValue');
      await (await contextOf(tenantId, id)).noteSecretUsed!('headerValue');
      assert.equal((await described(tenantId, id)).usedAt, used);

      // A day later the next use is recorded.
      const dayAgo = Date.now() - 25 * 3_600_000;
      await setTimes(id, { used_at: dayAgo });
      await (await contextOf(tenantId, id)).noteSecretUsed!('headerValue');
      assert.ok((await described(tenantId, id)).usedAt! > dayAgo + 3_600_000);

      // The value was replaced after the context was made: its use is not the new value's.
      await setTimes(id, { used_at: null });
      const stale = await contextOf(tenantId, id);
      await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${id}/secrets`, { values: { headerValue: 'Bearer replaced-value' } });
      await stale.noteSecretUsed!('headerValue');
      assert.equal((await described(tenantId, id)).usedAt, null);
      // Unknown fields are ignored.
      await stale.noteSecretUsed!('noSuchField');
    });

    test('re-entering the same value keeps its set time; a new value gets a new one', async () => {
      const id = await create(tenantId, 'reset');
      const old = Date.now() - 90 * 86_400_000;
      await setTimes(id, { updated_at: old, used_at: old + 1000 });
      await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${id}/secrets`, { values: { headerValue: SECRET } });
      assert.deepEqual([(await described(tenantId, id)).updatedAt, (await described(tenantId, id)).usedAt], [old, old + 1000]);
      await t.call('PUT', `/api/v1/tenants/${tenantId}/integrations/${id}/secrets`, { values: { headerValue: `${SECRET}-2` } });
      const now = await described(tenantId, id);
      assert.ok(now.updatedAt > old + 80 * 86_400_000);
      assert.equal(now.usedAt, null);
    });

    test("a child tenant's copy keeps the parent's set and use times", async () => {
      const parentId = await create(tenantId, 'inherited');
      const setAt = Date.now() - 200 * 86_400_000;
      const usedAt = Date.now() - 100 * 86_400_000;
      await setTimes(parentId, { updated_at: setAt, used_at: usedAt });
      const child = await t.call('POST', `/api/v1/tenants/${tenantId}/children`, { name: 'Times child' });
      assert.equal(child.status, 201);
      const copies = await t.call('GET', `/api/v1/tenants/${child.body.id}/integrations`);
      const copy = copies.body.items.find((i: { name: string }) => i.name === 'inherited');
      assert.deepEqual(copy.secrets, [{ field: 'headerValue', set: true, updatedAt: new Date(setAt).toISOString(), lastUsedAt: new Date(usedAt).toISOString() }]);
      const ctx = await contextOf(child.body.id, copy.id);
      assert.deepEqual([ctx.secretsSetAt, ctx.secretsUsedAt], [{ headerValue: setAt }, { headerValue: usedAt }]);
      // Still re-encrypted for the child, and the times only describe, never reveal.
      assert.equal(ctx.secrets.headerValue, SECRET);
      assert.equal(JSON.stringify(copies.body).includes(SECRET), false);
    });
  });
}
