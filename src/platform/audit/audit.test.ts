import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, dialectsUnderTest, type TestDatabase } from '../../../test/support/db.ts';
import type { Database } from '../db/index.ts';
import { migrate } from '../db/migrations.ts';
import type { Actor } from '../actor.ts';
import { SYSTEM_ACTOR } from '../actor.ts';
import { newId } from '../ids.ts';
import { auditMigrations, GENESIS_HASH, type AuditLogTable, type AuditTables } from './migrations.ts';
import { createAuditLog, type AuditLog } from './log.ts';
import { auditVerifyCommand } from './command.ts';
import { entryHash } from './chain.ts';
import { redactSecrets } from './redact.ts';

const alice: Actor = { kind: 'user', id: 'u-alice', name: 'alice' };

async function freshLog(dialect: TestDatabase['dialect']) {
  const t = await createTestDatabase(dialect);
  const database = await t.open();
  await migrate(database, auditMigrations);
  const log = createAuditLog({ database });
  const db = database.db.withTables<AuditTables>();
  return {
    t,
    database,
    log,
    db,
    async close() {
      await database.close();
      await t.drop();
    },
  };
}

/** Appends n entries from a separate node process sharing the SQLite file. */
async function appendFromChildProcess(t: TestDatabase, n: number): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const script = `
    import { openDatabase } from ${JSON.stringify(path.join(here, '../db/index.ts'))};
    import { createAuditLog } from ${JSON.stringify(path.join(here, 'log.ts'))};
    const database = await openDatabase({ dataDir: ${JSON.stringify(t.dataDir)}, sqliteFile: ${JSON.stringify(t.url)} });
    const log = createAuditLog({ database });
    await Promise.all(Array.from({ length: ${n} }, (_, i) => log.append({ actor: { kind: 'system', id: null, name: 'child' }, action: 'role.revoke', details: { i } })));
    await database.close();
  `;
  await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd() });
}

async function appendMany(log: AuditLog, n: number, tenantId = 't-1') {
  for (let i = 0; i < n; i++) {
    await log.append({ actor: alice, action: 'tenant.rename', tenantId, target: { kind: 'tenant', id: tenantId }, details: { i } });
  }
}

for (const d of await dialectsUnderTest()) {
  describe(`audit log on ${d.dialect}`, { skip: d.skip }, () => {
    let ctx: Awaited<ReturnType<typeof freshLog>>;
    before(async () => {
      ctx = await freshLog(d.dialect);
    });
    after(async () => ctx?.close());

    test('the chain grows one linked entry at a time and lists newest first with filters', async () => {
      const { log, db } = ctx;
      const first = await log.append({
        actor: alice,
        action: 'integration.secret.replace',
        tenantId: 't-a',
        target: { kind: 'integration', id: 'i-1' },
        details: redactSecrets({ name: 'webhook', secrets: { headerValue: 'top-secret' } }, ['headerValue']),
        ip: '10.0.0.1',
      });
      const second = await log.append({ actor: SYSTEM_ACTOR, action: 'tenant.purge', tenantId: 't-b', outcome: 'failure' });
      const third = await log.append({ actor: { kind: 'token', id: 'tok-1', name: 'ci token' }, action: 'tenant.create', tenantId: null, at: 1_700_000_000_000 });
      assert.deepEqual([first.seq, second.seq, third.seq], [1, 2, 3]);
      assert.deepEqual(first.details, { name: 'webhook', secrets: { headerValue: '[set]' } });
      assert.equal(first.target?.id, 'i-1');
      assert.equal(second.outcome, 'failure');

      const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      assert.equal(rows[0].prev_hash, GENESIS_HASH);
      assert.equal(rows[1].prev_hash, rows[0].hash);
      assert.equal(rows[2].prev_hash, rows[1].hash);
      assert.ok(!JSON.stringify(rows).includes('top-secret'));
      const head = await db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual([Number(head.last_seq), head.last_hash], [3, rows[2].hash]);

      const all = await log.list({ limit: 2 });
      assert.deepEqual(all.entries.map((e) => e.seq), [3, 2]);
      assert.ok(all.nextCursor);
      const rest = await log.list({ limit: 2, cursor: all.nextCursor });
      assert.deepEqual(rest.entries.map((e) => e.seq), [1]);
      assert.equal(rest.nextCursor, null);
      assert.deepEqual((await log.list({ tenantIds: ['t-a', 't-b'] })).entries.map((e) => e.seq), [2, 1]);
      assert.deepEqual((await log.list({ tenantIds: [] })).entries, []);
      assert.deepEqual((await log.list({ action: 'tenant.*' })).entries.map((e) => e.action), ['tenant.create', 'tenant.purge']);
      assert.deepEqual((await log.list({ action: 'tenant.create' })).entries.map((e) => e.seq), [3]);
      assert.deepEqual((await log.list({ actorId: 'u-alice' })).entries.map((e) => e.seq), [1]);
      assert.deepEqual((await log.list({ to: 1_700_000_000_001 })).entries.map((e) => e.seq), [3]);
      assert.deepEqual((await log.list({ from: 1_700_000_000_001 })).entries.map((e) => e.seq), [2, 1]);
      assert.deepEqual(await log.verify(), { ok: true, checked: 3 });
    });

    test('bad input is refused before anything is written', async () => {
      const { log } = ctx;
      await assert.rejects(log.append({ actor: { kind: 'robot' as Actor['kind'], id: null, name: 'x' }, action: 'tenant.create' }), /actor.kind/);
      await assert.rejects(log.append({ actor: alice, action: 'drop table; --' }), /action must be a dotted name/);
      await assert.rejects(log.list({ cursor: 'garbage' }), /cursor/);
    });

    test('an entry appended in a rolled-back transaction vanishes without leaving a gap', async () => {
      const { log, database } = ctx;
      const before = (await log.verify()).checked;
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await log.append({ actor: alice, action: 'tenant.delete', tenantId: 't-x' }, trx);
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      const kept = await database.db.transaction().execute((trx) => log.append({ actor: alice, action: 'tenant.delete', tenantId: 't-y' }, trx));
      assert.equal(kept.seq, before + 1);
      assert.deepEqual(await log.verify(), { ok: true, checked: before + 1 });
    });

    test('many concurrent appends, from one handle and from two connections, stay linear', async () => {
      const { log, t } = ctx;
      let start = (await log.verify()).checked;
      await Promise.all(Array.from({ length: 60 }, (_, i) => log.append({ actor: alice, action: 'user.update', tenantId: 't-c', details: { i } })));
      // A second writer, as a second server process would be. PostgreSQL: another pool in this
      // process. SQLite: another process (better-sqlite3 waits for locks synchronously, so two
      // connections in one thread would only deadlock each other).
      const mine = Array.from({ length: 20 }, (_, i) => log.append({ actor: alice, action: 'role.grant', tenantId: 't-c', details: { i } }));
      if (d.dialect === 'postgres') {
        const second = await t.open();
        try {
          const log2 = createAuditLog({ database: second });
          await Promise.all([...mine, ...Array.from({ length: 20 }, (_, i) => log2.append({ actor: alice, action: 'role.revoke', tenantId: 't-c', details: { i } }))]);
        } finally {
          await second.close();
        }
      } else {
        // Keep appending here while the child runs, so the two processes really contend.
        let done = false;
        const child = appendFromChildProcess(t, 20).finally(() => (done = true));
        let extra = 0;
        await Promise.all(mine);
        while (!done) {
          await log.append({ actor: alice, action: 'role.grant', tenantId: 't-c', details: { extra } });
          extra++;
          // SQLite calls resolve as microtasks only; yield so the child's exit can be observed.
          await new Promise((r) => setTimeout(r, 2));
        }
        await child;
        const fromChild = await ctx.db.selectFrom('audit_log').select('seq').where('actor_name', '=', 'child').execute();
        assert.equal(fromChild.length, 20);
        // This process was writing for the whole life of the child, so the two contended for the lock.
        assert.ok(extra > 0);
        start += extra; // the parent's extra entries are counted with the others below
      }
      const result = await log.verify({ batchSize: 7 });
      assert.deepEqual(result, { ok: true, checked: start + 100 });
      const seqs = (await ctx.db.selectFrom('audit_log').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
      assert.deepEqual(seqs, Array.from({ length: start + 100 }, (_, i) => i + 1));
    });
  });

  describe(`audit verify catches tampering on ${d.dialect}`, { skip: d.skip }, () => {
    const tampered = async (tamper: (c: Awaited<ReturnType<typeof freshLog>>) => Promise<unknown>) => {
      const c = await freshLog(d.dialect);
      try {
        await appendMany(c.log, 6);
        assert.deepEqual(await c.log.verify(), { ok: true, checked: 6 });
        await tamper(c);
        const lines: string[] = [];
        const code = await auditVerifyCommand(c.database, (l) => lines.push(l));
        return { result: await c.log.verify({ batchSize: 4 }), code, lines };
      } finally {
        await c.close();
      }
    };

    test('an UPDATE of an entry\'s details', async () => {
      const { result, code, lines } = await tampered((c) => c.db.updateTable('audit_log').set({ details: '{"i":99}' }).where('seq', '=', 3).execute());
      assert.equal(result.ok, false);
      assert.equal(result.firstBadSeq, 3);
      assert.equal(result.checked, 2);
      assert.match(result.problem!, /entry 3 was altered/);
      assert.equal(code, 1);
      assert.match(lines[0], /^audit log TAMPERED at entry 3: /);
    });

    test('an altered entry whose hash was recomputed breaks the next link', async () => {
      const { result } = await tampered(async (c) => {
        const row = (await c.db.selectFrom('audit_log').selectAll().where('seq', '=', 3).executeTakeFirstOrThrow()) as AuditLogTable;
        const forged = { ...row, actor_name: 'mallory' };
        await c.db.updateTable('audit_log').set({ actor_name: 'mallory', hash: entryHash(row.prev_hash, forged) }).where('seq', '=', 3).execute();
      });
      assert.equal(result.ok, false);
      assert.equal(result.firstBadSeq, 4);
      assert.match(result.problem!, /does not link/);
    });

    test('a DELETE in the middle', async () => {
      const { result, code } = await tampered((c) => c.db.deleteFrom('audit_log').where('seq', '=', 4).execute());
      assert.equal(result.ok, false);
      assert.equal(result.firstBadSeq, 4);
      assert.match(result.problem!, /entry 4 is missing/);
      assert.equal(code, 1);
    });

    test('a DELETE of the newest entry', async () => {
      const { result, code } = await tampered((c) => c.db.deleteFrom('audit_log').where('seq', '=', 6).execute());
      assert.equal(result.ok, false);
      assert.equal(result.firstBadSeq, 6);
      assert.equal(result.checked, 5);
      assert.match(result.problem!, /newest entries deleted/);
      assert.equal(code, 1);
    });

    test('a forged row appended with a correct-looking hash', async () => {
      const { result, code } = await tampered(async (c) => {
        const last = (await c.db.selectFrom('audit_log').selectAll().where('seq', '=', 6).executeTakeFirstOrThrow()) as AuditLogTable;
        const row = { ...last, seq: 7, id: newId(), action: 'user.delete', details: '{}' };
        await c.db.insertInto('audit_log').values({ ...row, prev_hash: last.hash, hash: entryHash(last.hash, row) }).execute();
      });
      assert.equal(result.ok, false);
      assert.equal(result.firstBadSeq, 7);
      assert.match(result.problem!, /beyond the recorded head/);
      assert.equal(code, 1);
    });

    test('an untouched log passes the command with exit code 0', async () => {
      const { result, code, lines } = await tampered(async () => {});
      assert.deepEqual(result, { ok: true, checked: 6 });
      assert.equal(code, 0);
      assert.deepEqual(lines, ['audit log intact: 6 entries verified']);
    });
  });
}
