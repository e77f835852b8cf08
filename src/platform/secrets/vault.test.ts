import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql, type KyselyPlugin } from 'kysely';
import { createTestDatabase, dialectsUnderTest, type TestDatabase } from '../../../test/support/db.ts';
import type { Database } from '../db/index.ts';
import { migrate } from '../db/migrations.ts';
import { KEY_FILE_NAME, loadKeyring, readKeyFile, type Keyring } from './keyring.ts';
import { createVault, VaultError, type Vault } from './vault.ts';
import { vaultMigrations, type VaultTables } from './migrations.ts';
import { retireKeys, rotateKey } from './commands.ts';

const ref = (tenantId: string, ownerId = 'inst-1', ownerKind = 'integration') => ({ tenantId, ownerKind, ownerId });

/** Every row of every table as text, the way a pg_dump or a file copy would expose it. */
async function dumpEverything(t: TestDatabase, database: Database): Promise<string> {
  if (database.dialect === 'sqlite') {
    const file = t.url;
    return [file, `${file}-wal`, `${file}-shm`]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f).toString('latin1'))
      .join('\n');
  }
  const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public'`.execute(database.db);
  const out: string[] = [];
  for (const { tablename } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(tablename)} t`.execute(database.db);
    out.push(...rows.rows.map((r) => r.row));
  }
  return out.join('\n');
}

const expectVaultError = (code: VaultError['code']) => (err: unknown) => {
  assert.ok(err instanceof VaultError, `expected VaultError, got ${String(err)}`);
  assert.equal(err.code, code);
  return true;
};

for (const d of await dialectsUnderTest()) {
  describe(`vault on ${d.dialect}`, { skip: d.skip }, () => {
    let t: TestDatabase;
    let database: Database;
    let keyring: Keyring;
    let vault: Vault;

    before(async () => {
      t = await createTestDatabase(d.dialect);
      database = await t.open();
      await migrate(database, vaultMigrations);
      keyring = loadKeyring({ env: {}, dataDir: t.dataDir });
      vault = createVault({ database, keyring });
    });
    after(async () => {
      await database?.close();
      await t?.drop();
    });

    const rawRow = (r: ReturnType<typeof ref>, field: string) =>
      database.db
        .withTables<VaultTables>()
        .selectFrom('secrets')
        .selectAll()
        .where('owner_kind', '=', r.ownerKind)
        .where('owner_id', '=', r.ownerId)
        .where('field', '=', field)
        .executeTakeFirstOrThrow();

    test('round-trips values, describes fields without values, replaces and removes', async () => {
      const r = ref('t-round', 'inst-round');
      const unicode = 'pässwörd-🔑-' + 'x'.repeat(3000);
      await vault.set(r, 'password', 'hunter2');
      await vault.set(r, 'apiKey', unicode);
      await vault.set(r, 'empty', '');
      assert.equal(await vault.get(r, 'password'), 'hunter2');
      assert.equal(await vault.get(r, 'apiKey'), unicode);
      assert.equal(await vault.get(r, 'empty'), '');
      assert.equal(await vault.get(r, 'missing'), undefined);
      assert.deepEqual(await vault.getAll(r), { apiKey: unicode, empty: '', password: 'hunter2' });

      const described = await vault.describe(r);
      assert.deepEqual(described.map((x) => x.field), ['apiKey', 'empty', 'password']);
      assert.ok(described.every((x) => typeof x.updatedAt === 'number' && x.updatedAt > 0));
      assert.ok(!JSON.stringify(described).includes('hunter2'));

      const row = await rawRow(r, 'password');
      assert.match(row.ciphertext, new RegExp(`^v1\\.${keyring.current().id}\\.[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
      assert.equal(row.key_id, keyring.current().id);

      await vault.set(r, 'password', 'hunter3');
      assert.equal(await vault.get(r, 'password'), 'hunter3');
      assert.notEqual((await rawRow(r, 'password')).ciphertext, row.ciphertext);
      assert.equal(await vault.remove(r, 'password'), 1);
      assert.equal(await vault.get(r, 'password'), undefined);
      assert.equal(await vault.remove(r), 2);
      assert.deepEqual(await vault.getAll(r), {});
    });

    test('a write inside a rolled-back transaction leaves nothing behind', async () => {
      const r = ref('t-trx', 'inst-trx');
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await vault.set(r, 'token', 'abc', trx);
          assert.equal(await vault.get(r, 'token', trx), 'abc');
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal(await vault.get(r, 'token'), undefined);
    });

    test('additional data binds a ciphertext to its tenant, owner and field', async () => {
      const a = ref('t-aad', 'inst-a');
      await vault.set(a, 'password', 'bound-secret');
      await vault.set(a, 'other', 'placeholder');
      const { ciphertext } = await rawRow(a, 'password');
      const move = (set: Record<string, string>, r: ReturnType<typeof ref>, field: string) =>
        database.db.updateTable('secrets').set(set).where('owner_id', '=', r.ownerId).where('field', '=', field).execute();

      // Copied into another field of the same owner.
      await move({ ciphertext }, a, 'other');
      await assert.rejects(vault.get(a, 'other'), expectVaultError('decrypt_failed'));

      // Moved to another owner of the same tenant.
      const b = ref('t-aad', 'inst-b');
      await vault.set(b, 'password', 'placeholder');
      await move({ ciphertext }, b, 'password');
      await assert.rejects(vault.get(b, 'password'), expectVaultError('decrypt_failed'));

      // Moved to another owner kind with the same id.
      const c = ref('t-aad', 'inst-a', 'webhook');
      await vault.set(c, 'password', 'placeholder');
      await database.db.updateTable('secrets').set({ ciphertext }).where('owner_kind', '=', 'webhook').execute();
      await assert.rejects(vault.get(c, 'password'), expectVaultError('decrypt_failed'));

      // The row itself re-labelled to another tenant.
      await move({ tenant_id: 't-other' }, a, 'password');
      await assert.rejects(vault.get(ref('t-other', 'inst-a'), 'password'), (err: unknown) => {
        expectVaultError('decrypt_failed')(err);
        const msg = (err as Error).message;
        assert.match(msg, /integration\/inst-a field "password" of tenant t-other/);
        assert.ok(!msg.includes('bound-secret') && !msg.includes(ciphertext));
        return true;
      });
    });

    test('tampering with any part of the ciphertext is detected', async () => {
      const r = ref('t-tamper', 'inst-tamper');
      await vault.set(r, 'password', 'do-not-touch');
      const { ciphertext } = await rawRow(r, 'password');
      const parts: string[] = ciphertext.split('.');
      const flip = (s: string) => {
        const buf = Buffer.from(s, 'base64url');
        buf[buf.length - 1] ^= 0x01;
        return buf.toString('base64url');
      };
      for (const i of [2, 3, 4]) {
        const forged = parts.map((p, j) => (j === i ? flip(p) : p)).join('.');
        await database.db.updateTable('secrets').set({ ciphertext: forged }).where('owner_id', '=', r.ownerId).execute();
        await assert.rejects(vault.get(r, 'password'), expectVaultError('decrypt_failed'));
      }
      await database.db.updateTable('secrets').set({ ciphertext: 'v9.abc.def' }).where('owner_id', '=', r.ownerId).execute();
      await assert.rejects(vault.get(r, 'password'), expectVaultError('bad_format'));
      await database.db.updateTable('secrets').set({ ciphertext: `v1.000000000000.${parts.slice(2).join('.')}` }).where('owner_id', '=', r.ownerId).execute();
      await assert.rejects(vault.get(r, 'password'), expectVaultError('unknown_key'));
    });

    test('copy re-encrypts every field for the child tenant; the copies are independent', async () => {
      const parent = ref('t-parent', 'inst-p');
      const child = ref('t-child', 'inst-c');
      await vault.set(parent, 'password', 'inherited-pw');
      await vault.set(parent, 'token', 'inherited-token');
      assert.equal(await vault.copy(parent, child), 2);
      assert.deepEqual(await vault.getAll(child), { password: 'inherited-pw', token: 'inherited-token' });

      const p = await rawRow(parent, 'password');
      const c = await rawRow(child, 'password');
      assert.notEqual(p.ciphertext, c.ciphertext);
      assert.equal(c.tenant_id, 't-child');
      // The parent's ciphertext placed under the child's row does not decrypt there.
      await database.db.updateTable('secrets').set({ ciphertext: p.ciphertext }).where('id', '=', c.id).execute();
      await assert.rejects(vault.get(child, 'password'), expectVaultError('decrypt_failed'));
      await vault.set(child, 'password', 'child-own');
      assert.equal(await vault.get(parent, 'password'), 'inherited-pw');
      await vault.remove(parent);
      assert.deepEqual(await vault.getAll(child), { password: 'child-own', token: 'inherited-token' });
    });

    test('set and use times: the same value keeps them, a new value resets them, a copy keeps the source\'s', async () => {
      const r = ref('t-times', 'inst-times');
      const child = ref('t-times-child', 'inst-times-c');
      await vault.set(r, 'token', 'tok-1');
      const setAt = Date.now() - 40 * 86_400_000;
      await database.db.updateTable('secrets').set({ updated_at: setAt }).where('owner_id', '=', r.ownerId).execute();
      assert.deepEqual((await vault.describe(r)).map((d) => [d.updatedAt, d.usedAt]), [[setAt, null]]);

      // A use is recorded only for the value set at setAt, and not twice within notWithinMs.
      assert.equal(await vault.markUsed(r, 'token', { setAt: setAt + 1, at: setAt + 10 }), false);
      assert.equal(await vault.markUsed(r, 'token', { setAt, at: setAt + 10, notWithinMs: 1000 }), true);
      assert.equal(await vault.markUsed(r, 'token', { setAt, at: setAt + 500, notWithinMs: 1000 }), false);
      assert.equal(await vault.markUsed(r, 'token', { setAt, at: setAt + 1010, notWithinMs: 1000 }), true);
      const withTimes = await vault.getAllWithTimes(r);
      assert.deepEqual(withTimes.values, { token: 'tok-1' });
      assert.deepEqual(withTimes.described.map((d) => [d.field, d.updatedAt, d.usedAt]), [['token', setAt, setAt + 1010]]);

      // Setting the same value again is not a new credential: both times stay.
      await vault.set(r, 'token', 'tok-1');
      assert.deepEqual((await vault.describe(r)).map((d) => [d.updatedAt, d.usedAt]), [[setAt, setAt + 1010]]);

      // The child's copy is the same credential: it keeps the set and use times, re-encrypted.
      await vault.copy(r, child);
      assert.deepEqual((await vault.describe(child)).map((d) => [d.field, d.updatedAt, d.usedAt]), [['token', setAt, setAt + 1010]]);
      assert.notEqual((await rawRow(child, 'token')).ciphertext, (await rawRow(r, 'token')).ciphertext);

      // A new value is a new credential: set now, never used.
      const before = Date.now();
      await vault.set(r, 'token', 'tok-2');
      const [d] = await vault.describe(r);
      assert.ok(d.updatedAt >= before, 'a new value gets a new set time');
      assert.equal(d.usedAt, null);
      assert.equal(await vault.markUsed(r, 'token', { setAt, at: Date.now() }), false, 'a use of the old value is not recorded on the new one');
      assert.ok(!JSON.stringify(await vault.describe(r)).includes('tok-'));
      await vault.remove(r);
      await vault.remove(child);
    });

    test('the used_at migration leaves existing rows readable, with no use recorded', async () => {
      const old = await createTestDatabase(d.dialect);
      const db2 = await old.open();
      try {
        await migrate(db2, vaultMigrations.slice(0, 1));
        // A row written by the code of the first migration's time (no used_at column yet).
        await db2.db
          .insertInto('secrets')
          .values({ id: 'old-row', tenant_id: 't-old', owner_kind: 'integration', owner_id: 'inst-old', field: 'token', key_id: 'k', ciphertext: 'v1.x', created_at: 1, updated_at: 2 })
          .execute();
        await migrate(db2, vaultMigrations);
        const after = createVault({ database: db2, keyring });
        assert.deepEqual(await after.describe(ref('t-old', 'inst-old')), [{ field: 'token', createdAt: 1, updatedAt: 2, usedAt: null }]);
        await after.set(ref('t-old', 'inst-new'), 'token', 'fresh');
        assert.equal((await after.describe(ref('t-old', 'inst-new')))[0].usedAt, null);
      } finally {
        await db2.close();
        await old.drop();
      }
    });

    test('removeForTenants purges exactly those tenants, in chunks', async () => {
      const many = Array.from({ length: 1200 }, (_, i) => `t-purge-${i}`);
      await vault.set(ref('t-purge-3', 'x'), 'a', '1');
      await vault.set(ref('t-purge-1100', 'y'), 'a', '2');
      await vault.set(ref('t-keep', 'z'), 'a', '3');
      assert.equal(await vault.removeForTenants(many), 2);
      assert.equal(await vault.get(ref('t-keep', 'z'), 'a'), '3');
      const left = await database.db.selectFrom('secrets').select('id').where('tenant_id', 'like', 't-purge-%').execute();
      assert.equal(left.length, 0);
    });

    test('a plaintext canary never reaches the storage bytes', async () => {
      const canary = `canary-${randomBytes(12).toString('hex')}`;
      await vault.set(ref('t-canary', 'inst-canary'), 'password', canary);
      await vault.copy(ref('t-canary', 'inst-canary'), ref('t-canary-child', 'inst-canary-2'));
      assert.equal(await vault.get(ref('t-canary-child', 'inst-canary-2'), 'password'), canary);
      const dump = await dumpEverything(t, database);
      assert.ok(dump.includes('inst-canary'), 'the dump sees the rows (sanity check of the dump itself)');
      assert.ok(!dump.includes(canary), 'the canary appears in plaintext in the stored bytes');
      assert.ok(!dump.includes(Buffer.from(canary).toString('base64')));
    });

    test('rotation re-encrypts everything under the new key, a stale reader reloads, old keys retire', async () => {
      const r1 = ref('t-rot', 'inst-r1');
      const r2 = ref('t-rot2', 'inst-r2');
      await vault.set(r1, 'password', 'rot-1');
      await vault.set(r2, 'token', 'rot-2');
      const oldKeyId = keyring.current().id;
      const total = Number((await database.db.selectFrom('secrets').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

      // A second "process" that loaded the keyring before the rotation.
      const staleRing = loadKeyring({ env: {}, dataDir: t.dataDir });
      const stale = createVault({ database, keyring: staleRing });

      const report = await rotateKey({ database, env: {}, dataDir: t.dataDir, batchSize: 3 });
      assert.equal(report.generated, true);
      assert.notEqual(report.currentKeyId, oldKeyId);
      assert.deepEqual(report.previousKeyIds, [oldKeyId]);
      assert.equal(report.rotated + report.failed.length, report.scanned);
      assert.ok(report.rotated >= 2);
      assert.equal(report.remaining, report.failed.length);
      // Rows left by the tamper test cannot be decrypted; they are reported by owner and field, never by value.
      assert.ok(report.failed.every((f) => f.ownerId === 'inst-tamper' || f.ownerId === 'inst-a' || f.ownerId === 'inst-b' || f.ownerId === 'inst-c'));
      assert.ok(total >= report.scanned);

      // The stale reader has never seen the new key id; it re-reads the key file once and succeeds.
      assert.equal(staleRing.byId(report.currentKeyId), undefined);
      assert.equal(await stale.get(r1, 'password'), 'rot-1');
      assert.equal(staleRing.current().id, report.currentKeyId);

      // Clear the undecryptable leftovers so the old key is truly unused, then retire it.
      await database.db.deleteFrom('secrets').where('key_id', '!=', report.currentKeyId).execute();
      assert.deepEqual(await vault.keyIdsInUse(), [report.currentKeyId]);
      const retired = await retireKeys({ database, env: {}, dataDir: t.dataDir });
      assert.deepEqual(retired.retired, [oldKeyId]);
      const file = path.join(t.dataDir, KEY_FILE_NAME);
      assert.deepEqual(readKeyFile(file).map((k) => k.id), [report.currentKeyId]);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);

      // The long-running vault sees the file change and writes and reads under the new key.
      await vault.set(r2, 'token', 'rot-3');
      assert.equal((await rawRow(r2, 'token')).key_id, report.currentKeyId);
      assert.equal(await vault.get(r1, 'password'), 'rot-1');
      assert.equal(await vault.get(r2, 'token'), 'rot-3');
      const again = await vault.rotate({ batchSize: 10 });
      assert.deepEqual([again.scanned, again.rotated, again.remaining], [0, 0, 0]);
    });

    test('rotation never overwrites a value replaced between its read and its write', async () => {
      const oldRing = loadKeyring({ env: { XDRHUB_MASTER_KEY: randomBytes(32).toString('base64') } });
      // The concurrent writer is another connection, as another server process would be.
      const other = await t.open();
      const writer = createVault({ database: other, keyring: oldRing });
      const r = ref('t-race', 'inst-race');
      await writer.set(r, 'password', 'before');
      const newRing = loadKeyring({
        env: { XDRHUB_MASTER_KEY: randomBytes(32).toString('base64'), XDRHUB_PREVIOUS_MASTER_KEYS: oldRing.current().key.toString('base64') },
      });
      // Right after the rotation has read its batch, the writer replaces the secret.
      let fired = false;
      const interleave: KyselyPlugin = {
        transformQuery: (args) => args.node,
        async transformResult(args) {
          const rows = args.result.rows as { owner_id?: string; ciphertext?: string }[];
          if (!fired && rows.some((row) => row.owner_id === 'inst-race' && row.ciphertext)) {
            fired = true;
            await writer.set(r, 'password', 'written-meanwhile');
          }
          return args.result;
        },
      };
      const rotating = createVault({ database: { ...database, db: database.db.withPlugin(interleave) }, keyring: newRing });
      const result = await rotating.rotate({ batchSize: 50 });
      assert.equal(fired, true);
      assert.equal(result.skipped, 1);
      assert.equal(await rotating.get(r, 'password'), 'written-meanwhile');
      // The next run moves it under the new key.
      await rotating.rotate({ batchSize: 50 });
      assert.equal((await rawRow(r, 'password')).key_id, newRing.current().id);
      assert.equal(await rotating.get(r, 'password'), 'written-meanwhile');
      await other.close();
      await database.db.deleteFrom('secrets').where('tenant_id', '=', 't-race').execute();
    });
  });
}
