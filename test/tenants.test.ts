import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './support/db.ts';
import { startTestApp, type TestApp } from './support/app.ts';

const webhook = (name: string, extra: Record<string, unknown> = {}) => ({
  type: 'webhook',
  name,
  config: { url: 'https://hooks.example.test/in', ...extra },
  secrets: { headerValue: `Bearer secret-${name}` },
});

for (const d of await dialectsUnderTest()) {
  describe(`tenants and inheritance (${d.dialect})`, { skip: d.skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(d.dialect);
    });
    after(async () => t?.close());

    test('Root and Shared exist; the tree lists them', async () => {
      const res = await t.call('GET', '/api/v1/tenants');
      assert.equal(res.status, 200);
      const [root] = res.body.items;
      assert.equal(root.kind, 'root');
      assert.deepEqual(root.children.map((c: any) => c.kind), ['shared']);
    });

    test('a child copies the parent integrations; afterwards both sides are independent', async () => {
      const parent = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'MSSP' });
      assert.equal(parent.status, 201);
      const created = await t.call('POST', `/api/v1/tenants/${parent.body.id}/integrations`, webhook('hook'));
      assert.equal(created.status, 201, JSON.stringify(created.body));

      const child = await t.call('POST', `/api/v1/tenants/${parent.body.id}/children`, { name: 'Customer A' });
      const copies = await t.call('GET', `/api/v1/tenants/${child.body.id}/integrations`);
      assert.equal(copies.body.total, 1);
      const copy = copies.body.items[0];
      assert.notEqual(copy.id, created.body.id);
      assert.deepEqual(copy.copiedFrom, { tenantId: parent.body.id, instanceId: created.body.id });
      assert.deepEqual(copy.config, created.body.config);
      assert.deepEqual(copy.secrets.map((s: any) => s.field), ['headerValue']);
      // The child's copy decrypts under its own tenant binding.
      const childSecret = await t.app.services.vault.get({ tenantId: child.body.id, ownerKind: 'integration', ownerId: copy.id }, 'headerValue');
      assert.equal(childSecret, 'Bearer secret-hook');

      // Edit the child: the parent is untouched, and the other way round.
      await t.call('PATCH', `/api/v1/tenants/${child.body.id}/integrations/${copy.id}`, { config: { url: 'https://child.example.test/' } });
      await t.call('PUT', `/api/v1/tenants/${child.body.id}/integrations/${copy.id}/secrets`, { values: { headerValue: 'child-only' } });
      const parentView = await t.call('GET', `/api/v1/tenants/${parent.body.id}/integrations/${created.body.id}`);
      assert.equal(parentView.body.config.url, 'https://hooks.example.test/in');
      assert.equal(await t.app.services.vault.get({ tenantId: parent.body.id, ownerKind: 'integration', ownerId: created.body.id }, 'headerValue'), 'Bearer secret-hook');
      await t.call('POST', `/api/v1/tenants/${parent.body.id}/integrations/${created.body.id}/disable`);
      const childView = await t.call('GET', `/api/v1/tenants/${child.body.id}/integrations/${copy.id}`);
      assert.equal(childView.body.enabled, true);
      assert.equal(childView.body.config.url, 'https://child.example.test/');
    });

    test('deep trees copy at every level', async () => {
      let parentId = t.rootId;
      await t.call('POST', `/api/v1/tenants/${t.rootId}/integrations`, webhook('root-hook'));
      const ids: string[] = [];
      for (let depth = 1; depth <= 6; depth++) {
        const res = await t.call('POST', `/api/v1/tenants/${parentId}/children`, { name: `level ${depth}` });
        assert.equal(res.status, 201);
        parentId = res.body.id;
        ids.push(parentId);
      }
      const leaf = await t.call('GET', `/api/v1/tenants/${parentId}/integrations`);
      assert.deepEqual(leaf.body.items.map((i: any) => i.name), ['root-hook']);
      assert.equal(leaf.body.items[0].copiedFrom.tenantId, ids[ids.length - 2]);
      const detail = await t.call('GET', `/api/v1/tenants/${parentId}`);
      assert.equal(detail.body.path.length, 7, "Root and six levels");
    });

    test('the Shared tenant refuses integrations with a clear message', async () => {
      const res = await t.call('POST', `/api/v1/tenants/${t.sharedId}/integrations`, webhook('nope'));
      assert.equal(res.status, 400);
      assert.match(res.body.error.message, /Shared tenant .* no integration settings/);
      const draft = await t.call('POST', `/api/v1/tenants/${t.sharedId}/integrations/check`, { type: 'webhook', config: { url: 'https://x.test/' } });
      assert.equal(draft.status, 400);
      const child = await t.call('POST', `/api/v1/tenants/${t.sharedId}/children`, { name: 'under shared' });
      assert.equal(child.status, 400);
    });

    test('root-only fields: accepted on Root, refused elsewhere, dropped from copies', async () => {
      const onRoot = await t.call('POST', `/api/v1/tenants/${t.rootId}/integrations`, webhook('proxied', { proxy: true }));
      assert.equal(onRoot.status, 201);
      assert.equal(onRoot.body.config.proxy, true);
      const child = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Proxy child' });
      const copies = await t.call('GET', `/api/v1/tenants/${child.body.id}/integrations?type=webhook`);
      const copy = copies.body.items.find((i: any) => i.name === 'proxied');
      assert.equal(copy.config.proxy, false, 'proxy toggle is dropped (back to its default) in the copy');
      const refused = await t.call('PATCH', `/api/v1/tenants/${child.body.id}/integrations/${copy.id}`, { config: { url: 'https://x.test/', proxy: true } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.details.field, 'config.proxy');
    });

    test('names: unique among siblings, validated, rename works, Root cannot be renamed or deleted', async () => {
      const a = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Same' });
      assert.equal(a.status, 201);
      const dup = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Same' });
      assert.equal(dup.status, 409);
      const bad = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: '<script>' });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /^name:/);
      const renamed = await t.call('PATCH', `/api/v1/tenants/${a.body.id}`, { name: 'Renamed' });
      assert.equal(renamed.body.name, 'Renamed');
      assert.equal((await t.call('PATCH', `/api/v1/tenants/${t.rootId}`, { name: 'X' })).status, 400);
      assert.equal((await t.call('DELETE', `/api/v1/tenants/${t.rootId}`)).status, 400);
      assert.equal((await t.call('DELETE', `/api/v1/tenants/${t.sharedId}`)).status, 400);
    });
  });
}
