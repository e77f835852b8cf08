import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { dialectsUnderTest } from './support/db.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { startSlowHook } from './support/slow-hook.ts';

const FINAL = ['succeeded', 'failed', 'timedOut', 'cancelled', 'rejected'];

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const block = (id: string, targets: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'action', connector: 'webhook', action: 'addToBlocklist', targets, params: { list: id }, ...extra });

for (const d of await dialectsUnderTest()) {
  describe(`playbooks (${d.dialect})`, { skip: d.skip }, () => {
    let t: TestApp;
    let hook: Awaited<ReturnType<typeof startSlowHook>>;
    let tenantId: string;
    const base = () => `/api/v1/tenants/${tenantId}`;

    const createPlaybook = async (body: Record<string, unknown>, tid = tenantId) => {
      const res = await t.call('POST', `/api/v1/tenants/${tid}/playbooks`, { scope: 'alert', ...body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    };
    const createAlert = async (extra: Record<string, unknown> = {}, tid = tenantId) => {
      const res = await t.call('POST', `/api/v1/tenants/${tid}/alerts`, { title: 'Beacon', severity: 'high', source: 'pb-test', observables: [{ type: 'ip', value: '203.0.113.9' }], ...extra });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const runsOf = async (playbookId: string, tid = tenantId) => (await t.call('GET', `/api/v1/tenants/${tid}/playbook-runs?playbookId=${playbookId}`)).body.items;
    const finalRun = (tid: string, runId: string) => until(`run ${runId}`, async () => {
      const r = await t.call('GET', `/api/v1/tenants/${tid}/playbook-runs/${runId}`);
      return FINAL.includes(r.body.status) ? r.body : null;
    });
    const hookIntegration = async (tid: string) => {
      const res = await t.call('POST', `/api/v1/tenants/${tid}/integrations`, { type: 'webhook', name: 'Hook', config: { url: `${hook.url}/in`, caCertificate: hook.ca }, secrets: { headerValue: 'x' } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    };

    before(async () => {
      t = await startTestApp(d.dialect, { XDRHUB_JOB_LEASE_MS: '1500', XDRHUB_JOB_POLL_MS: '50' });
      hook = await startSlowHook(30);
      tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Playbook customer' })).body.id;
      await hookIntegration(tenantId);
      await t.app.startWorker();
    });
    after(async () => {
      await hook?.close();
      await t?.close();
    });

    test('invalid input is refused: jq errors are jq’s own, fields are named', async () => {
      const bad = await t.call('POST', `${base()}/playbooks`, { name: 'bad', scope: 'alert', mode: 'auto', trigger: '.severity == ', steps: [block('a', '[]')] });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /^body\.trigger: jq: .*syntax error/);
      const badStep = await t.call('POST', `${base()}/playbooks`, { name: 'bad2', scope: 'alert', mode: 'manual', steps: [block('a', '.alert.observables[')] });
      assert.match(badStep.body.error.message, /^body\.steps\.0\.targets: jq:/);
      const name = await t.call('POST', `${base()}/playbooks`, { name: 'a<b', scope: 'alert', mode: 'manual', steps: [block('a', '[]')] });
      assert.match(name.body.error.message, /^body\.name:/);
      const tags = await t.call('POST', `${base()}/playbooks`, { name: 'tags', scope: 'alert', mode: 'manual', tags: Array(31).fill('x'), steps: [block('a', '[]')] });
      assert.match(tags.body.error.message, /^body\.tags:/);
      const timeout = await t.call('POST', `${base()}/playbooks`, { name: 't', scope: 'alert', mode: 'manual', runTimeoutMinutes: 48 * 60 + 1, steps: [block('a', '[]')] });
      assert.match(timeout.body.error.message, /^body\.runTimeoutMinutes:/);
      const noTrigger = await t.call('POST', `${base()}/playbooks`, { name: 'nt', scope: 'alert', mode: 'auto', steps: [block('a', '[]')] });
      assert.match(noTrigger.body.error.message, /^body\.trigger: is required in auto mode/);
      const dupId = await t.call('POST', `${base()}/playbooks`, { name: 'dup', scope: 'alert', mode: 'manual', steps: [block('a', '[]'), block('a', '[]')] });
      assert.match(dupId.body.error.message, /duplicates the step id/);
      const valid = await t.call('POST', `${base()}/playbooks/validate`, { name: 'ok', scope: 'alert', mode: 'manual', steps: [block('a', '[.alert.observables[] | select(.type == "ip")]')] });
      assert.deepEqual(valid.body, { valid: true });
    });

    test('auto mode: triggers on create and on update, once per alert; steps see earlier outputs', async () => {
      const pb = await createPlaybook({
        name: 'Block high IPs',
        mode: 'auto',
        trigger: '.severity == "critical" and (.observables | any(.type == "ip"))',
        steps: [
          block('block', '[.alert.observables[] | select(.type == "ip")]'),
          { id: 'note', kind: 'updateData', update: '{comment: "blocked \\(.steps.block.succeeded) IP(s)", status: "inProgress"}' },
        ],
      });
      const onCreate = await createAlert({ severity: 'critical', observables: [{ type: 'ip', value: '198.51.100.20' }] });
      await t.app.services.triggers.drain();
      const [run] = await until('a run', async () => (await runsOf(pb.id)).length === 1 && (await runsOf(pb.id)));
      const done = await finalRun(tenantId, run.id);
      assert.equal(done.status, 'succeeded', done.error);
      assert.deepEqual(done.steps.map((s: any) => [s.path, s.status]), [['block', 'succeeded'], ['note', 'succeeded']]);
      assert.equal(hook.count('198.51.100.20'), 1);
      const alert = await t.call('GET', `${base()}/alerts/${onCreate}`);
      assert.equal(alert.body.status, 'inProgress');
      assert.equal(alert.body.comments[0].text, 'blocked 1 IP(s)');
      assert.equal(alert.body.comments[0].authorName, 'playbook Block high IPs');

      // A low alert does not match; raising it to critical does (trigger on update).
      const later = await createAlert({ severity: 'low', observables: [{ type: 'ip', value: '198.51.100.21' }] });
      await t.app.services.triggers.drain();
      assert.equal((await runsOf(pb.id)).length, 1);
      await t.call('PATCH', `${base()}/alerts/${later}`, { severity: 'critical' });
      await t.app.services.triggers.drain();
      const runs = await until('second run', async () => ((await runsOf(pb.id)).length === 2 ? await runsOf(pb.id) : null));
      await finalRun(tenantId, runs[0].id);
      // Further updates do not run it again for the same alert.
      await t.call('PATCH', `${base()}/alerts/${later}`, { externalRef: 'x' });
      await t.app.services.triggers.drain();
      assert.equal((await runsOf(pb.id)).length, 2);
      await t.call('POST', `${base()}/playbooks/${pb.id}/disable`);
    });

    test('training mode asks for approval of the whole run; manual mode runs for selected observables', async () => {
      const training = await createPlaybook({ name: 'Training', mode: 'training', trigger: '.title == "train me"', steps: [block('t1', '[.alert.observables[]]')] });
      await createAlert({ title: 'train me', observables: [{ type: 'domain', value: 'train.example' }] });
      await t.app.services.triggers.drain();
      const [run] = await until('training run', async () => (await runsOf(training.id)).length === 1 && (await runsOf(training.id)));
      assert.equal(run.status, 'awaitingApproval');
      assert.equal(hook.count('train.example'), 0);
      const analyst = await t.userWithRole('tier1', tenantId);
      assert.equal((await t.call('POST', `${base()}/playbook-runs/${run.id}/approve`, undefined, analyst.token)).status, 403);
      const approver = await t.userWithRole('approver', tenantId);
      assert.equal((await t.call('POST', `${base()}/playbook-runs/${run.id}/approve`, undefined, approver.token)).status, 200);
      assert.equal((await finalRun(tenantId, run.id)).status, 'succeeded');
      assert.equal(hook.count('train.example'), 1);

      const manual = await createPlaybook({ name: 'Manual', mode: 'manual', steps: [block('m1', '.input.observables')] });
      const alertId = await createAlert({ observables: [{ type: 'ip', value: '192.0.2.50' }, { type: 'ip', value: '192.0.2.51' }] });
      const details = await t.call('GET', `${base()}/alerts/${alertId}`);
      const chosen = details.body.observables.find((o: any) => o.value === '192.0.2.51');
      const launched = await t.call('POST', `${base()}/playbooks/${manual.id}/launch`, { alertId, observableIds: [chosen.id] });
      assert.equal(launched.status, 201, JSON.stringify(launched.body));
      assert.equal((await finalRun(tenantId, launched.body.id)).status, 'succeeded');
      assert.equal(hook.count('192.0.2.51'), 1);
      assert.equal(hook.count('192.0.2.50'), 0);
      const observer = await t.userWithRole('observer', tenantId);
      assert.equal((await t.call('POST', `${base()}/playbooks/${manual.id}/launch`, { alertId }, observer.token)).status, 403);
    });

    test('step approval, approval timeout, on-error stop and continue, branch', async () => {
      const pb = await createPlaybook({
        name: 'Errors',
        mode: 'manual',
        steps: [
          block('soft', '[{kind: "observable:ip", value: "fail-soft"}]', { onError: 'continue' }),
          { id: 'route', kind: 'branch', cases: [{ when: '.steps.soft.error != null', steps: [block('after-soft', '[{kind: "observable:domain", value: "after.example"}]')] }], default: [] },
          block('hard', '[{kind: "observable:ip", value: "fail-hard"}]'),
          block('never', '[{kind: "observable:domain", value: "never.example"}]'),
        ],
      });
      const alertId = await createAlert();
      const run = (await t.call('POST', `${base()}/playbooks/${pb.id}/launch`, { alertId })).body;
      const done = await finalRun(tenantId, run.id);
      assert.equal(done.status, 'failed');
      assert.match(done.error, /step hard failed/);
      assert.deepEqual(
        done.steps.map((s: any) => [s.path, s.status]),
        [['soft', 'failedContinued'], ['route', 'succeeded'], ['route/case0/after-soft', 'succeeded'], ['hard', 'failed']],
      );
      assert.equal(hook.count('after.example'), 1);
      assert.equal(hook.count('never.example'), 0);

      const approval = await createPlaybook({ name: 'Approval', mode: 'manual', steps: [block('ask', '[{kind: "observable:domain", value: "approve.example"}]', { approval: { required: true, windowMinutes: 5 } })] });
      const r1 = (await t.call('POST', `${base()}/playbooks/${approval.id}/launch`, { alertId })).body;
      const pending = await until('approval request', async () => {
        const h = await t.call('GET', `${base()}/response/actions?status=awaitingApproval`);
        return h.body.items.find((a: any) => a.launcher.id === r1.id);
      });
      const approver = await t.userWithRole('approver', tenantId);
      await t.call('POST', `${base()}/response/actions/${pending.id}/approve`, {}, approver.token);
      assert.equal((await finalRun(tenantId, r1.id)).status, 'succeeded');

      const r2 = (await t.call('POST', `${base()}/playbooks/${approval.id}/launch`, { alertId })).body;
      const pending2 = await until('second approval', async () => {
        const h = await t.call('GET', `${base()}/response/actions?status=awaitingApproval`);
        return h.body.items.find((a: any) => a.launcher.id === r2.id);
      });
      await sql`update jobs set run_at = ${Date.now() - 1} where idempotency_key = ${`response.expire-approval:${pending2.id}`}`.execute(t.app.services.database.db);
      await sql`update response_actions set approval_deadline = ${Date.now() - 1} where id = ${pending2.id}`.execute(t.app.services.database.db);
      const expired = await finalRun(tenantId, r2.id);
      assert.equal(expired.status, 'failed');
      assert.match(expired.error, /timedOut/);
    });

    test('split runs items with the concurrency bound', async () => {
      const pb = await createPlaybook({
        name: 'Split',
        mode: 'manual',
        steps: [{ id: 'each', kind: 'split', items: '[range(12) | "split-\\(.).example"]', concurrency: 3, steps: [block('one', '[{kind: "observable:domain", value: .item}]')] }],
      });
      hook.resetMax();
      const alertId = await createAlert();
      const run = (await t.call('POST', `${base()}/playbooks/${pb.id}/launch`, { alertId })).body;
      const done = await finalRun(tenantId, run.id);
      assert.equal(done.status, 'succeeded', done.error);
      for (let i = 0; i < 12; i++) assert.equal(hook.count(`split-${i}.example`), 1);
      assert.ok(hook.maxInFlight <= 3, `at most 3 calls at once, saw ${hook.maxInFlight}`);
      // Parallelism from the run's own record: how many item steps overlapped in time.
      const spans = done.steps.filter((s: any) => s.path.startsWith('each[')).map((s: any) => [Date.parse(s.startedAt), Date.parse(s.finishedAt)]);
      const overlap = Math.max(...spans.map(([start]: number[]) => spans.filter(([a, b]: number[]) => a <= start && start < b).length));
      assert.ok(overlap >= 2 && overlap <= 3, `items ran 2–3 at a time, saw ${overlap}`);
      assert.equal(done.steps.filter((s: any) => s.path.startsWith('each[')).length, 12);
    });

    test('a runtime trigger failure is recorded on its playbook and others still run', async () => {
      const broken = await createPlaybook({ name: 'Broken trigger', mode: 'auto', trigger: '.title | error("boom: \\(.)")', steps: [block('x', '[]')] });
      const fine = await createPlaybook({ name: 'Fine trigger', mode: 'auto', trigger: '.title == "both"', steps: [block('y', '[{kind: "observable:domain", value: "fine.example"}]')] });
      await createAlert({ title: 'both' });
      await t.app.services.triggers.drain();
      const runs = await until('fine run', async () => (await runsOf(fine.id)).length === 1 && (await runsOf(fine.id)));
      await finalRun(tenantId, runs[0].id);
      const b = await t.call('GET', `${base()}/playbooks/${broken.id}`);
      assert.match(b.body.lastTriggerError.message, /boom: both/);
      for (const id of [broken.id, fine.id]) await t.call('POST', `${base()}/playbooks/${id}/disable`);
    });

    test('the run timeout stops a run cleanly and says so', async () => {
      const pb = await createPlaybook({ name: 'Slow', mode: 'manual', runTimeoutMinutes: 1, steps: [block('wait', '[{kind: "observable:domain", value: "slow.example"}]', { approval: { required: true } })] });
      const alertId = await createAlert();
      const run = (await t.call('POST', `${base()}/playbooks/${pb.id}/launch`, { alertId })).body;
      // Wait for the step's approval request itself: the run is "running" a moment before the step launches it.
      await until('awaiting approval', async () => (await t.call('GET', `${base()}/response/actions?status=awaitingApproval`)).body.items.some((a: any) => a.launcher.id === run.id));
      await sql`update playbook_runs set deadline = ${Date.now() - 1} where id = ${run.id}`.execute(t.app.services.database.db);
      const done = await finalRun(tenantId, run.id);
      assert.equal(done.status, 'timedOut');
      assert.match(done.error, /timeout of 1 minutes/);
      const cancelled = await t.call('GET', `${base()}/response/actions?status=cancelled`);
      assert.ok(cancelled.body.items.some((a: any) => a.launcher.id === run.id), 'its pending approval was withdrawn');
    });

    test("a parent's playbook offered to children runs there on the child's own integrations, read-only", async () => {
      const parent = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'MSSP parent' })).body.id;
      const pb = await createPlaybook({ name: 'Offered', mode: 'auto', offerToChildren: true, trigger: '.title == "offered"', steps: [block('o', '[{kind: "observable:domain", value: "offered-\\(.tenant.id).example"}]')] }, parent);
      const child = (await t.call('POST', `/api/v1/tenants/${parent}/children`, { name: 'Child customer' })).body.id;
      await hookIntegration(child);
      const list = await t.call('GET', `/api/v1/tenants/${child}/playbooks`);
      const inherited = list.body.items.find((p: any) => p.id === pb.id);
      assert.equal(inherited.inherited, true);
      assert.equal((await t.call('PUT', `/api/v1/tenants/${child}/playbooks/${pb.id}`, { name: 'x', scope: 'alert', mode: 'manual', steps: [block('a', '[]')] })).status, 403);
      await createAlert({ title: 'offered' }, child);
      await t.app.services.triggers.drain();
      const [run] = await until('child run', async () => (await runsOf(pb.id, child)).length === 1 && (await runsOf(pb.id, child)));
      assert.equal((await finalRun(child, run.id)).status, 'succeeded');
      assert.equal(hook.count(`offered-${child}.example`), 1);
      const history = await t.call('GET', `/api/v1/tenants/${child}/response/actions`);
      assert.equal(history.body.items[0].tenantId, child);
      // A sibling cannot see it.
      const sibling = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Sibling' })).body.id;
      assert.equal((await t.call('GET', `/api/v1/tenants/${sibling}/playbooks/${pb.id}`)).status, 404);
    });

    test('a runner killed with SIGKILL mid-run resumes without repeating a completed step', async () => {
      const pb = await createPlaybook({
        name: 'Crash',
        mode: 'manual',
        steps: [
          block('first', '[{kind: "observable:domain", value: "crash-first.example"}]'),
          block('stuck', '[{kind: "observable:domain", value: "crash-stuck.example"}]', { onError: 'continue' }),
          { id: 'last', kind: 'updateData', update: { comment: 'resumed and finished' } },
        ],
      });
      const alertId = await createAlert();
      // This process's worker must not take the run: stop it, let a child worker run it.
      await t.app.services.jobs.stop({ drainMs: 2000 });
      hook.hold('crash-stuck.example');
      const stuckArrived = hook.arrived('crash-stuck.example');
      const run = (await t.call('POST', `${base()}/playbooks/${pb.id}/launch`, { alertId })).body;
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url))], { env: { ...process.env, ...t.env, XDRHUB_JOB_LEASE_MS: '1500' }, stdio: ['ignore', 'pipe', 'inherit'] });
      await stuckArrived;
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await t.app.startWorker();
      const done = await finalRun(tenantId, run.id, );
      assert.equal(done.status, 'succeeded', done.error);
      assert.equal(hook.count('crash-first.example'), 1, 'the completed step was not repeated');
      assert.equal(hook.count('crash-stuck.example'), 1, 'the interrupted call was not repeated');
      const stuck = done.steps.find((s: any) => s.path === 'stuck');
      assert.equal(stuck.status, 'failedContinued');
      assert.match(stuck.error, /outcome unknown/);
      const alert = await t.call('GET', `${base()}/alerts/${alertId}`);
      assert.deepEqual(alert.body.comments.map((c: any) => c.text), ['resumed and finished']);
    });
  });
}
