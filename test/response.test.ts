import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { dialectsUnderTest } from './support/db.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { startHttpsRecorder } from './support/https-server.ts';
import { dumpTables } from './support/dump.ts';

const FINAL = ['succeeded', 'failed', 'rejected', 'timedOut', 'cancelled'];

async function waitForStatus(t: TestApp, tenantId: string, id: string, statuses: string[], timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions/${id}`);
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`action ${id} is ${res.body.status}, expected ${statuses.join('|')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const d of await dialectsUnderTest()) {
  describe(`response actions (${d.dialect})`, { skip: d.skip }, () => {
    let t: TestApp;
    let hook: Awaited<ReturnType<typeof startHttpsRecorder>>;
    let tenantId: string;
    let instanceId: string;
    let alertId: string;
    let ipObservableId: string;
    let hostAssetId: string;
    let cancelledWhileQueued: string;

    before(async () => {
      t = await startTestApp(d.dialect, { XDRHUB_JOB_LEASE_MS: '1500', XDRHUB_JOB_POLL_MS: '50' });
      hook = await startHttpsRecorder((req) => {
        const body = req.body ? JSON.parse(req.body) : {};
        if (body.target?.value === '10.66.66.66') return { status: 500, body: '{"error":"boom"}' };
        return { status: 200, body: '{"ok":true}' };
      });
      tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Response customer' })).body.id;
      const inst = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'webhook', name: 'Blocklist', config: { url: `${hook.url}/blocklist`, caCertificate: hook.ca }, secrets: { headerValue: 'x' } });
      instanceId = inst.body.id;
      const alert = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, {
        title: 'C2 beacon',
        severity: 'high',
        source: 'test',
        observables: [{ type: 'ip', value: '203.0.113.7' }, { type: 'domain', value: 'c2.example' }],
        assets: [{ kind: 'host', name: 'WS-7', role: 'victim' }],
      });
      alertId = alert.body.id;
      const details = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${alertId}`);
      ipObservableId = details.body.observables.find((o: any) => o.type === 'ip').id;
      hostAssetId = details.body.assets[0].id;
    });
    after(async () => {
      await hook?.close();
      await t?.close();
    });

    test('the catalogue lists the actions of enabled integrations', async () => {
      const res = await t.call('GET', `/api/v1/tenants/${tenantId}/response/catalogue`);
      assert.equal(res.status, 200);
      const add = res.body.items.find((i: any) => i.action === 'addToBlocklist');
      assert.equal(add.undo, 'removeFromBlocklist');
      assert.ok(add.targetKinds.includes('observable:ip'));
    });

    // Runs before any worker is started in this process, so the entry stays queued until cancelled.
    test('cancel while queued: the job then does nothing', async () => {
      const before = hook.seen.length;
      const a = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', targets: [{ kind: 'observable:ip', value: '192.0.2.99' }] });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      const id = a.body.actions[0].id;
      assert.equal(a.body.actions[0].status, 'queued');
      const observer = await t.userWithRole('observer', tenantId);
      assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${id}/cancel`, undefined, observer.token)).status, 403);
      const cancelled = await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${id}/cancel`);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, 'cancelled');
      assert.ok(cancelled.body.finishedAt);
      assert.equal(hook.seen.length, before);
      // Its job is still queued: the history test below checks, once workers have run, that it did nothing.
      cancelledWhileQueued = id;
    });

    test('a worker killed with SIGKILL mid-action does not repeat the side effect', async () => {
      // The endpoint holds the first request open, so the child is killed mid-call.
      let arrived!: () => void;
      const requestArrived = new Promise<void>((r) => (arrived = r));
      const before = hook.seen.length;
      const original = hook.seen.push.bind(hook.seen);
      hook.seen.push = (...items) => {
        arrived();
        return original(...items);
      };
      const launch = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', params: { list: 'crash-test' }, targets: [{ kind: 'observable:domain', value: 'crash.example' }] });
      assert.equal(launch.status, 201, JSON.stringify(launch.body));
      const id = launch.body.actions[0].id;
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url))], { env: { ...process.env, ...t.env }, stdio: ['ignore', 'pipe', 'inherit'] });
      await requestArrived;
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      hook.seen.push = original;
      // This process's worker reclaims the job after the lease ends and must not call again.
      await t.app.startWorker();
      const entry = await waitForStatus(t, tenantId, id, FINAL);
      assert.equal(entry.status, 'failed');
      assert.match(entry.error, /outcome unknown/);
      assert.equal(hook.seen.length - before, 1, 'the endpoint was called exactly once');
    });

    test('queued → in progress → succeeded, one entry per target, from observables and assets', async () => {
      const res = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', alertId, observableIds: [ipObservableId], assetIds: [hostAssetId] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.actions.length, 2);
      for (const a of res.body.actions) {
        const done = await waitForStatus(t, tenantId, a.id, FINAL);
        assert.equal(done.status, 'succeeded', done.error);
        assert.ok(done.startedAt && done.finishedAt);
        assert.match(done.result.summary, /added to xdrhub-blocklist/);
      }
      const bodies = hook.seen.slice(-2).map((s) => JSON.parse(s.body).target);
      assert.deepEqual(bodies.map((b: any) => b.value).sort(), ['203.0.113.7', 'ws-7']);
      const history = await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions?alertId=${alertId}`);
      assert.equal(history.body.items.length, 2);
    });

    test('a failing call ends failed with words for the user', async () => {
      const res = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', targets: [{ kind: 'observable:ip', value: '10.66.66.66' }] });
      const done = await waitForStatus(t, tenantId, res.body.actions[0].id, FINAL);
      assert.equal(done.status, 'failed');
      assert.match(done.error, /HTTP 500/);
    });

    test('approval: approve runs it, reject and expiry end it, roles are enforced', async () => {
      const approver = await t.userWithRole('approver', tenantId);
      const analyst = await t.userWithRole('tier1', tenantId);
      const observer = await t.userWithRole('observer', tenantId);
      const launch = (token: string) => t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', targets: [{ kind: 'observable:ip', value: '198.51.100.1' }], approval: { required: true, windowMinutes: 5 } }, token);
      assert.equal((await launch(observer.token)).status, 403);
      const a = await launch(analyst.token);
      assert.equal(a.status, 201);
      const id = a.body.actions[0].id;
      assert.equal(a.body.actions[0].status, 'awaitingApproval');
      assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${id}/approve`, {}, analyst.token)).status, 403);
      const approved = await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${id}/approve`, { comment: 'ok' }, approver.token);
      assert.equal(approved.status, 200);
      const done = await waitForStatus(t, tenantId, id, FINAL);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.decision.comment, 'ok');
      assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${id}/approve`, {}, approver.token)).status, 409);

      const b = await launch(analyst.token);
      const rejected = await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${b.body.actions[0].id}/reject`, { comment: 'no' }, approver.token);
      assert.equal(rejected.body.status, 'rejected');

      const c = await launch(analyst.token);
      const cid = c.body.actions[0].id;
      // Let the window end now: the expiry job fires and the action times out.
      await sql`update response_actions set approval_deadline = ${Date.now() - 1} where id = ${cid}`.execute(t.app.services.database.db);
      await sql`update jobs set run_at = ${Date.now() - 1} where idempotency_key = ${`response.expire-approval:${cid}`}`.execute(t.app.services.database.db);
      const expired = await waitForStatus(t, tenantId, cid, FINAL);
      assert.equal(expired.status, 'timedOut');
    });

    test('cancel while awaiting approval; undo is a linked entry of the declared undo action', async () => {
      const a = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', targets: [{ kind: 'observable:ip', value: '192.0.2.10' }], approval: { required: true } });
      const cancelled = await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${a.body.actions[0].id}/cancel`);
      assert.equal(cancelled.body.status, 'cancelled');
      assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${a.body.actions[0].id}/cancel`)).status, 409);

      const b = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', params: { list: 'undo-me' }, targets: [{ kind: 'observable:ip', value: '192.0.2.11' }] });
      await waitForStatus(t, tenantId, b.body.actions[0].id, FINAL);
      const undo = await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${b.body.actions[0].id}/undo`, {});
      assert.equal(undo.status, 201, JSON.stringify(undo.body));
      assert.equal(undo.body.action, 'removeFromBlocklist');
      assert.equal(undo.body.undoOf, b.body.actions[0].id);
      const undone = await waitForStatus(t, tenantId, undo.body.id, FINAL);
      assert.equal(undone.status, 'succeeded');
      const sent = JSON.parse(hook.seen.at(-1)!.body);
      assert.deepEqual(sent, { op: 'remove', list: 'undo-me', target: { kind: 'observable:ip', value: '192.0.2.11' } });
      const original = await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions/${b.body.actions[0].id}`);
      assert.equal(original.body.undoneBy, undo.body.id);
      assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${b.body.actions[0].id}/undo`, {})).status, 409);

      // Two undo requests at once: one launches, the other is told it was already undone.
      const c = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', params: { list: 'undo-twice' }, targets: [{ kind: 'observable:ip', value: '192.0.2.12' }] });
      await waitForStatus(t, tenantId, c.body.actions[0].id, FINAL);
      const both = await Promise.all([1, 2, 3].map(() => t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${c.body.actions[0].id}/undo`)));
      assert.deepEqual(both.map((r) => r.status).sort(), [201, 409, 409]);
      assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions?action=removeFromBlocklist&limit=500`)).body.items.filter((e: any) => e.undoOf === c.body.actions[0].id).length, 1);
    });

    test('a password given as an action parameter never reaches history, logs or the database in clear', async () => {
      const canary = `Canary-Pass-${Date.now()}!`;
      const ad = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'ldap', name: 'AD', config: { domainControllers: ['ldaps://127.0.0.1:1'], tlsMode: 'ldaps', baseDn: 'DC=xdr,DC=test', bindAccount: 'admin@xdr.test' }, secrets: { bindPassword: 'x' } });
      assert.equal(ad.status, 201, JSON.stringify(ad.body));
      const launch = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId: ad.body.id, action: 'resetPassword', params: { password: canary }, targets: [{ kind: 'account', value: 'alice' }], approval: { required: true } });
      assert.equal(launch.status, 201, JSON.stringify(launch.body));
      assert.equal(launch.body.actions[0].params.password, '[secret]');
      const dump = await dumpTables(t.app.services.database);
      for (const [table, rows] of dump) for (const r of rows) assert.ok(!r.includes(canary), `${table} holds the password`);
      assert.ok(!t.logs.text().includes(canary));
      assert.ok(!JSON.stringify(await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions/${launch.body.actions[0].id}`)).includes(canary));
      await t.call('POST', `/api/v1/tenants/${tenantId}/response/actions/${launch.body.actions[0].id}/cancel`);
      assert.deepEqual(await t.app.services.vault.getAll({ tenantId, ownerKind: 'response_action', ownerId: launch.body.actions[0].id }), {}, 'a cancelled action leaves no secret behind');
    });

    test('history filters by incident, launcher, status, action and time, and pages by cursor', async () => {
      const start = new Date().toISOString();
      const analyst = await t.userWithRole('tier2', tenantId);
      const inc = await t.call('POST', `/api/v1/tenants/${tenantId}/incidents`, { title: 'Response history', severity: 'medium' });
      const a = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', incidentId: inc.body.id, targets: [{ kind: 'observable:ip', value: '192.0.2.60' }, { kind: 'observable:ip', value: '192.0.2.61' }] }, analyst.token);
      assert.equal(a.status, 201, JSON.stringify(a.body));
      for (const e of a.body.actions) await waitForStatus(t, tenantId, e.id, FINAL);
      const mine = a.body.actions.map((e: any) => e.id).sort();
      const history = async (query: string) => {
        const res = await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions?limit=500&${query}`);
        assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
        return res.body.items as any[];
      };
      assert.deepEqual((await history(`incidentId=${inc.body.id}`)).map((e) => e.id).sort(), mine);
      const byLauncher = await history(`launcherId=${analyst.userId}`);
      assert.deepEqual(byLauncher.map((e) => e.id).sort(), mine);
      assert.ok(byLauncher.every((e) => e.launcher.id === analyst.userId), JSON.stringify(byLauncher[0]?.launcher));
      assert.deepEqual((await history(`from=${encodeURIComponent(start)}`)).map((e) => e.id).sort(), mine);
      assert.equal((await history(`to=${encodeURIComponent(start)}`)).filter((e) => mine.includes(e.id)).length, 0);
      const cancelled = await history('status=cancelled,rejected');
      assert.ok(cancelled.length >= 2 && cancelled.every((e) => ['cancelled', 'rejected'].includes(e.status)));
      const undos = await history('action=removeFromBlocklist');
      assert.ok(undos.length >= 1 && undos.every((e) => e.action === 'removeFromBlocklist'));
      assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions?status=done`)).status, 400);
      const all = (await history('')).map((e) => e.id);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        paged.push(...res.body.items.map((e: any) => e.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      assert.deepEqual(paged, all);

      // The job of the entry cancelled while queued has run by now and left it alone.
      const job = (await t.app.services.jobs.list({ kind: 'response.execute' })).items.find((j) => (j.payload as { id: string }).id === cancelledWhileQueued)!;
      assert.equal((await t.app.services.jobs.waitFor(job.id, 20_000)).status, 'succeeded');
      assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions/${cancelledWhileQueued}`)).body.status, 'cancelled');
      assert.ok(!hook.seen.some((r) => r.body?.includes('192.0.2.99')), 'a cancelled action makes no call');
    });

    test('bad launches are refused before anything is queued', async () => {
      const wrongKind = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', targets: [{ kind: 'none', value: 'x' }] });
      assert.equal(wrongKind.status, 400);
      const noTargets = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist' });
      assert.equal(noTargets.status, 400);
      const badParams = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'addToBlocklist', params: { list: 7 }, targets: [{ kind: 'observable:ip', value: '1.1.1.1' }] });
      assert.equal(badParams.status, 400);
      assert.match(badParams.body.error.message, /^params\.list/);
      const other = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Response other' })).body.id;
      const crossTenant = await t.call('POST', `/api/v1/tenants/${other}/response/launches`, { instanceId, action: 'addToBlocklist', targets: [{ kind: 'observable:ip', value: '1.1.1.1' }] });
      assert.equal(crossTenant.status, 404);
      const crossAlert = await t.call('POST', `/api/v1/tenants/${other}/response/launches`, { instanceId, action: 'addToBlocklist', alertId, observableIds: [ipObservableId] });
      assert.equal(crossAlert.status, 404);
      const someEntry = (await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions?limit=1`)).body.items[0];
      assert.equal((await t.call('GET', `/api/v1/tenants/${other}/response/actions/${someEntry.id}`)).status, 404);
    });
  });
}
