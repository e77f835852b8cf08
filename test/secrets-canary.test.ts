import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { dialectsUnderTest } from './support/db.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { dumpTables } from './support/dump.ts';

// A secret set through the API must never come back: not in any response, log line, audit
// entry, nor as plaintext in the SQLite file or a PostgreSQL dump.
for (const d of await dialectsUnderTest()) {
  describe(`secrets canary (${d.dialect})`, { skip: d.skip }, () => {
    let t: TestApp;
    const canary = `canary-${randomBytes(8).toString('hex')}`;
    const replaced = `canary-replaced-${randomBytes(8).toString('hex')}`;
    const responses: string[] = [];
    before(async () => {
      t = await startTestApp(d.dialect);
    });
    after(async () => t?.close());

    const record = async (method: string, url: string, body?: unknown) => {
      const res = await t.call(method, url, body);
      responses.push(JSON.stringify(res.body ?? ''), JSON.stringify(res.headers));
      return res;
    };

    test('the canary never leaves the vault', async () => {
      const tenant = await record('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Canary Co' });
      const tid = tenant.body.id;
      const created = await record('POST', `/api/v1/tenants/${tid}/integrations`, { type: 'webhook', name: 'canary hook', config: { url: 'https://127.0.0.1:1/in' }, secrets: { headerValue: canary } });
      assert.equal(created.status, 201);
      const id = created.body.id;
      await record('GET', `/api/v1/tenants/${tid}/integrations`);
      await record('GET', `/api/v1/tenants/${tid}/integrations/${id}`);
      await record('POST', `/api/v1/tenants/${tid}/integrations/${id}/check`);
      await record('POST', `/api/v1/tenants/${tid}/integrations/check`, { type: 'webhook', config: { url: 'https://127.0.0.1:1/in' }, secrets: { headerValue: canary } });
      await record('PUT', `/api/v1/tenants/${tid}/integrations/${id}/secrets`, { values: { headerValue: replaced } });
      // Invalid input that carries the secret: the error must not echo it.
      await record('PUT', `/api/v1/tenants/${tid}/integrations/${id}/secrets`, { values: { headerValue: canary, unknownField: canary } });
      await record('POST', `/api/v1/tenants/${tid}/integrations`, { type: 'webhook', name: 'bad', config: { url: canary }, secrets: { headerValue: canary } });
      const child = await record('POST', `/api/v1/tenants/${tid}/children`, { name: 'Canary child' });
      await record('GET', `/api/v1/tenants/${child.body.id}/integrations`);
      await record('GET', `/api/v1/tenants/${tid}/audit`);
      await record('GET', '/api/v1/connector-types');
      await record('GET', '/api/docs/json');

      for (const value of [canary, replaced]) {
        for (const r of responses) {
          // The invalid create names `config.url` and may echo the bad URL value; it must not be the secret field.
          if (r.includes('config.url')) continue;
          assert.ok(!r.includes(value), `an API response contains the secret: ${r.slice(0, 300)}`);
        }
        assert.ok(!t.logs.text().includes(value), 'a log line contains the secret');
        const audit = await t.app.services.audit.list({ limit: 500 });
        assert.ok(!JSON.stringify(audit).includes(value), 'an audit entry contains the secret');
        const dump = await dumpTables(t.app.services.database);
        for (const [table, rows] of dump) for (const row of rows) assert.ok(!row.includes(value), `table ${table} holds the plaintext secret`);
      }
      if (d.dialect === 'sqlite') {
        await sql`pragma wal_checkpoint(TRUNCATE)`.execute(t.app.services.database.db);
        const dir = path.dirname(t.app.services.database.location);
        for (const f of fs.readdirSync(dir)) {
          const bytes = fs.readFileSync(path.join(dir, f)).toString('latin1');
          assert.ok(!bytes.includes(canary) && !bytes.includes(replaced), `${f} contains the plaintext secret`);
        }
      }
      // And yet it is there for the connector.
      assert.equal(await t.app.services.vault.get({ tenantId: tid, ownerKind: 'integration', ownerId: id }, 'headerValue'), replaced);
    });
  });
}
