import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { dialectsUnderTest } from './support/db.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { startSlowHook } from './support/slow-hook.ts';
import { startKtipSimulator, type KtipSimulator } from '../simulators/ktip/index.ts';

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
    let ktip: KtipSimulator;
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

    const stepOf = async (tid: string, runId: string, path: string) => (await t.call('GET', `/api/v1/tenants/${tid}/playbook-runs/${runId}`)).body.steps?.find((s: any) => s.path === path);
    const awaitingApproval = (tid: string, runId: string, path: string) => until(`step ${path} awaiting approval`, async () => {
      const s = await stepOf(tid, runId, path);
      return s?.status === 'awaitingApproval' ? s : null;
    });
    const stepUrl = (tid: string, runId: string, path: string, decision: string) => `/api/v1/tenants/${tid}/playbook-runs/${runId}/steps/${encodeURIComponent(path)}/${decision}`;
    const launch = async (playbookId: string, alertId: string, tid = tenantId) => {
      const res = await t.call('POST', `/api/v1/tenants/${tid}/playbooks/${playbookId}/launch`, { alertId });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const commentsOf = async (alertId: string, tid = tenantId) => (await t.call('GET', `/api/v1/tenants/${tid}/alerts/${alertId}`)).body.comments.map((c: any) => c.text);

    before(async () => {
      t = await startTestApp(d.dialect, { XDRHUB_JOB_LEASE_MS: '1500', XDRHUB_JOB_POLL_MS: '50' });
      hook = await startSlowHook(30);
      ktip = await startKtipSimulator();
      tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Playbook customer' })).body.id;
      await hookIntegration(tenantId);
      await t.app.startWorker();
    });
    after(async () => {
      await hook?.close();
      await t?.close();
      await ktip?.close();
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

    test('an update step assigns only users who may read the tenant’s alerts, as the API does', async () => {
      const analyst = await t.userWithRole('tier1', tenantId);
      const assign = (id: string, name: string) => createPlaybook({ name, mode: 'manual', steps: [{ id: 'assign', kind: 'updateData', update: { assigneeId: id } }] });
      const stranger = await assign(crypto.randomUUID(), 'Assign a stranger');
      const alertId = await createAlert();
      const refused = await finalRun(tenantId, (await t.call('POST', `${base()}/playbooks/${stranger.id}/launch`, { alertId })).body.id);
      assert.equal(refused.status, 'failed');
      assert.match(refused.error, /assigneeId .* is not an active user who can read this tenant's alerts/);
      assert.equal((await t.call('GET', `${base()}/alerts/${alertId}`)).body.assigneeId, null);
      const ok = await assign(analyst.userId, 'Assign the analyst');
      assert.equal((await finalRun(tenantId, (await t.call('POST', `${base()}/playbooks/${ok.id}/launch`, { alertId })).body.id)).status, 'succeeded');
      assert.equal((await t.call('GET', `${base()}/alerts/${alertId}`)).body.assigneeId, analyst.userId);
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
    test('approval is refused on branch and split steps, with the field named', async () => {
      const branch = await t.call('POST', `${base()}/playbooks/validate`, { name: 'b', scope: 'alert', mode: 'manual', steps: [{ id: 'b', kind: 'branch', approval: { required: true }, cases: [{ when: 'true', steps: [block('x', '[]')] }] }] });
      assert.equal(branch.status, 400);
      assert.match(branch.body.error.message, /^body\.steps\.0\.approval: is not available on a branch step/);
      const split = await t.call('POST', `${base()}/playbooks/validate`, { name: 's', scope: 'alert', mode: 'manual', steps: [{ id: 's', kind: 'split', items: '[]', approval: { required: true }, steps: [block('y', '[]')] }] });
      assert.match(split.body.error.message, /^body\.steps\.0\.approval: is not available on a split step/);
      const window = await t.call('POST', `${base()}/playbooks/validate`, { name: 'w', scope: 'alert', mode: 'manual', steps: [{ id: 'u', kind: 'updateData', update: {}, approval: { required: true, windowMinutes: 0 } }] });
      assert.match(window.body.error.message, /^body\.steps\.0\.approval\.windowMinutes:/);
      const ok = await t.call('POST', `${base()}/playbooks/validate`, { name: 'ok', scope: 'alert', mode: 'manual', steps: [{ id: 'u', kind: 'updateData', update: {}, approval: { required: true } }, { id: 'e', kind: 'enrichment', approval: { required: true, windowMinutes: 30 } }] });
      assert.deepEqual(ok.body, { valid: true });
    });

    test('step timeouts: enrichment (slow TIP), update (runaway jq) and split; on-error stop and continue', async () => {
      // A tenant of its own with a TIP that answers after 4 s.
      const tid = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Timeouts' })).body.id;
      const tip = await t.call('POST', `/api/v1/tenants/${tid}/integrations`, { type: 'ktip', name: 'OpenTIP', config: { service: 'openTip', baseUrl: ktip.url }, secrets: { token: `pb-timeouts-${d.dialect}-token` } });
      assert.equal(tip.status, 201, JSON.stringify(tip.body));
      ktip.setLatency(4000);
      try {
        const value = `slow-${d.dialect}.evil.example`;
        const alertId = await createAlert({ observables: [{ type: 'domain', value }] }, tid);

        const cont = await createPlaybook({ name: 'Slow lookup, continue', mode: 'manual', steps: [{ id: 'look', kind: 'enrichment', timeoutSeconds: 1, onError: 'continue' }, { id: 'after', kind: 'updateData', update: { comment: 'went on after the timeout' } }] }, tid);
        const r1 = await finalRun(tid, await launch(cont.id, alertId, tid));
        assert.equal(r1.status, 'succeeded', r1.error);
        const look = r1.steps.find((s: any) => s.path === 'look');
        assert.equal(look.status, 'failedContinued');
        assert.equal(look.error, 'step look exceeded its timeout of 1 s');
        const took = Date.parse(look.finishedAt) - Date.parse(look.startedAt);
        assert.ok(took >= 900 && took < 3500, `the step ended at its timeout, not with the lookup (${took} ms)`);
        assert.deepEqual(await commentsOf(alertId, tid), ['went on after the timeout']);

        const stop = await createPlaybook({ name: 'Slow lookup, stop', mode: 'manual', steps: [{ id: 'look', kind: 'enrichment', timeoutSeconds: 1 }, { id: 'never', kind: 'updateData', update: { comment: 'never' } }] }, tid);
        const r2 = await finalRun(tid, await launch(stop.id, alertId, tid));
        assert.equal(r2.status, 'failed');
        assert.equal(r2.error, 'step look exceeded its timeout of 1 s');
        assert.deepEqual(r2.steps.map((s: any) => [s.path, s.status]), [['look', 'timedOut']]);

        // The split's timeout bounds the whole split: its running items stop with it.
        const split = await createPlaybook({
          name: 'Slow split',
          mode: 'manual',
          steps: [
            { id: 'each', kind: 'split', timeoutSeconds: 1, onError: 'continue', items: '[range(3) | "split-\\(.)-' + d.dialect + '.evil.example"]', concurrency: 3, steps: [{ id: 'one', kind: 'enrichment', observables: '[{type: "domain", value: .item}]' }] },
            { id: 'after', kind: 'updateData', update: '{comment: "split: \\(.steps.each.error)"}' },
          ],
        }, tid);
        const r3 = await finalRun(tid, await launch(split.id, alertId, tid));
        assert.equal(r3.status, 'succeeded', r3.error);
        const each = r3.steps.find((s: any) => s.path === 'each');
        assert.equal(each.status, 'failedContinued');
        assert.equal(each.error, 'step each exceeded its timeout of 1 s');
        const items = r3.steps.filter((s: any) => s.path.startsWith('each['));
        assert.equal(items.length, 3);
        for (const item of items) {
          assert.equal(item.status, 'timedOut');
          assert.equal(item.error, 'stopped: step each exceeded its timeout of 1 s');
        }
        assert.ok((await commentsOf(alertId, tid)).includes('split: step each exceeded its timeout of 1 s'));

        // An update whose jq runs away: the step ends at its timeout and changes nothing.
        const update = await createPlaybook({ name: 'Runaway update', mode: 'manual', steps: [{ id: 'slow', kind: 'updateData', timeoutSeconds: 1, update: 'if .alert then (reduce range(1e15) as $i (0; .) | {comment: "too late"}) else {} end' }] }, tid);
        const r4 = await finalRun(tid, await launch(update.id, alertId, tid));
        assert.equal(r4.status, 'failed');
        assert.equal(r4.error, 'step slow exceeded its timeout of 1 s');
        assert.equal(r4.steps[0].status, 'timedOut');

        // Late answers change nothing: the steps keep their outcome, no enrichment is recorded, no late comment.
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal((await stepOf(tid, r2.id, 'look')).status, 'timedOut');
        assert.equal((await stepOf(tid, r3.id, 'each')).status, 'failedContinued');
        const alert = await t.call('GET', `/api/v1/tenants/${tid}/alerts/${alertId}`);
        assert.equal(alert.body.observables[0].enrichment ?? null, null, 'the aborted lookup recorded nothing');
        assert.ok(!(await commentsOf(alertId, tid)).includes('too late'));
      } finally {
        ktip.setLatency(0);
      }
    });

    test('approval of an updateData step: approve applies it, reject fails it (stop or continue), the window expires, other tenants get 404', async () => {
      const approver = await t.userWithRole('approver', tenantId);
      const alertId = await createAlert();
      const gated = await createPlaybook({ name: 'Gated update', mode: 'manual', steps: [{ id: 'note', kind: 'updateData', update: { comment: 'approved change', status: 'inProgress' }, approval: { required: true, windowMinutes: 5 } }] });
      const r1 = await launch(gated.id, alertId);
      const waiting = await awaitingApproval(tenantId, r1, 'note');
      assert.equal(waiting.approval.decision, null);
      assert.ok(Math.abs(Date.parse(waiting.approval.deadline) - Date.parse(waiting.startedAt) - 5 * 60_000) < 1000);
      assert.equal((await t.call('GET', `${base()}/playbook-runs/${r1}`)).body.status, 'running');
      assert.deepEqual(await commentsOf(alertId), [], 'nothing changes before approval');

      const analyst = await t.userWithRole('tier1', tenantId);
      assert.equal((await t.call('POST', stepUrl(tenantId, r1, 'note', 'approve'), undefined, analyst.token)).status, 403);
      const other = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Other approvals' })).body.id;
      const stranger = await t.userWithRole('approver', other);
      assert.equal((await t.call('POST', stepUrl(other, r1, 'note', 'approve'), undefined, stranger.token)).status, 404);
      assert.equal((await t.call('POST', stepUrl(tenantId, r1, 'note', 'approve'), undefined, stranger.token)).status, 404);
      assert.equal((await t.call('POST', stepUrl(tenantId, r1, 'nope', 'approve'), undefined, approver.token)).status, 404);

      const ok = await t.call('POST', stepUrl(tenantId, r1, 'note', 'approve'), undefined, approver.token);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.approval.decision, 'approved');
      const done = await finalRun(tenantId, r1);
      assert.equal(done.status, 'succeeded', done.error);
      assert.equal(done.steps[0].approval.decidedBy, ok.body.approval.decidedBy);
      assert.deepEqual(await commentsOf(alertId), ['approved change']);
      assert.equal((await t.call('GET', `${base()}/alerts/${alertId}`)).body.status, 'inProgress');
      assert.equal((await t.call('POST', stepUrl(tenantId, r1, 'note', 'approve'), undefined, approver.token)).status, 409);
      const audit = await t.call('GET', `${base()}/audit?action=playbook.step.approve`);
      assert.ok(audit.body.items.some((e: any) => e.targetId === r1 && e.details.path === 'note'), 'the decision is audited');

      // Reject with on-error stop: the step fails with who rejected it, and the run stops.
      const stopPb = await createPlaybook({ name: 'Gated stop', mode: 'manual', steps: [{ id: 'gate', kind: 'updateData', update: { comment: 'rejected change' }, approval: { required: true } }, { id: 'after', kind: 'updateData', update: { comment: 'after stop' } }] });
      const r2 = await launch(stopPb.id, alertId);
      await awaitingApproval(tenantId, r2, 'gate');
      const rejected = await t.call('POST', stepUrl(tenantId, r2, 'gate', 'reject'), undefined, approver.token);
      assert.equal(rejected.status, 200);
      const d2 = await finalRun(tenantId, r2);
      assert.equal(d2.status, 'failed');
      assert.deepEqual(d2.steps.map((s: any) => [s.path, s.status, s.error]), [['gate', 'failed', `rejected by ${rejected.body.approval.decidedBy}`]]);
      assert.match(d2.error, /^step gate failed: rejected by /);
      assert.equal((await t.call('GET', `${base()}/audit?action=playbook.step.reject`)).body.items.filter((e: any) => e.targetId === r2).length, 1);

      // Reject with on-error continue: the run goes on.
      const contPb = await createPlaybook({ name: 'Gated continue', mode: 'manual', steps: [{ id: 'gate', kind: 'updateData', onError: 'continue', update: { comment: 'rejected change' }, approval: { required: true } }, { id: 'after', kind: 'updateData', update: '{comment: "after: \\(.steps.gate.error)"}' }] });
      const r3 = await launch(contPb.id, alertId);
      await awaitingApproval(tenantId, r3, 'gate');
      await t.call('POST', stepUrl(tenantId, r3, 'gate', 'reject'), undefined, approver.token);
      const d3 = await finalRun(tenantId, r3);
      assert.equal(d3.status, 'succeeded', d3.error);
      assert.deepEqual(d3.steps.map((s: any) => [s.path, s.status]), [['gate', 'failedContinued'], ['after', 'succeeded']]);
      const comments = await commentsOf(alertId);
      assert.ok(!comments.includes('rejected change') && !comments.includes('after stop'));
      assert.ok(comments.some((c: string) => /^after: rejected by /.test(c)));

      // Expiry: nobody decides within the window.
      const r4 = await launch(stopPb.id, alertId);
      await awaitingApproval(tenantId, r4, 'gate');
      await sql`update playbook_run_steps set approval_deadline = ${Date.now() - 1} where run_id = ${r4} and path = 'gate'`.execute(t.app.services.database.db);
      const d4 = await finalRun(tenantId, r4);
      assert.equal(d4.status, 'failed');
      assert.equal(d4.error, 'nobody approved step gate within its approval window of 60 minutes');
      assert.equal(d4.steps[0].status, 'timedOut');
      assert.equal(d4.steps[0].approval.decision, 'expired');
      assert.equal((await t.call('POST', stepUrl(tenantId, r4, 'gate', 'approve'), undefined, approver.token)).status, 409);

      // A step inside a split is addressed by its path ("each[1]/note", percent-encoded).
      const splitPb = await createPlaybook({ name: 'Gated split', mode: 'manual', steps: [{ id: 'each', kind: 'split', items: '["a", "b"]', steps: [{ id: 'note', kind: 'updateData', update: '{comment: "item \\(.item)"}', approval: { required: true } }] }] });
      const r5 = await launch(splitPb.id, alertId);
      for (const path of ['each[0]/note', 'each[1]/note']) {
        await awaitingApproval(tenantId, r5, path);
        assert.equal((await t.call('POST', stepUrl(tenantId, r5, path, 'approve'), undefined, approver.token)).status, 200);
      }
      assert.equal((await finalRun(tenantId, r5)).status, 'succeeded');
      assert.ok((await commentsOf(alertId)).includes('item b'));
    });

    test('the approvals queue: training runs and runs with a step awaiting approval, in the subtree only, paged, validated', async () => {
      // A tenant of its own with a child (subtree) and an unrelated sibling, so other tests' runs do not count.
      const queue = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Approvals queue' })).body.id as string;
      const sub = (await t.call('POST', `/api/v1/tenants/${queue}/children`, { name: 'Approvals queue child' })).body.id as string;
      const other = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Approvals elsewhere' })).body.id as string;
      const queueUrl = (tid: string, extra = '') => `/api/v1/tenants/${tid}/playbook-runs?awaiting=approval${extra}`;
      const gate = { id: 'gate', kind: 'updateData', update: { comment: 'queued change' }, approval: { required: true, windowMinutes: 30 } };

      // A training run in the child, a gated step in the tenant, another gated step elsewhere.
      const training = await createPlaybook({ name: 'Queue training', mode: 'training', trigger: '.title == "queue training"', steps: [{ id: 'note', kind: 'updateData', update: { comment: 'trained' } }] }, sub);
      const trainedAlert = await createAlert({ title: 'queue training' }, sub);
      await t.app.services.triggers.drain();
      const [trainingRun] = await until('training run', async () => (await runsOf(training.id, sub)).length === 1 && (await runsOf(training.id, sub)));
      const gated = await createPlaybook({ name: 'Queue gated', mode: 'manual', steps: [gate] }, queue);
      const gatedAlert = await createAlert({ title: 'Gated alert' }, queue);
      const gatedRun = await launch(gated.id, gatedAlert, queue);
      const elsewhere = await createPlaybook({ name: 'Elsewhere gated', mode: 'manual', steps: [gate] }, other);
      const elsewhereRun = await launch(elsewhere.id, await createAlert({}, other), other);
      const waiting = await awaitingApproval(queue, gatedRun, 'gate');
      await awaitingApproval(other, elsewhereRun, 'gate');

      const approver = await t.userWithRole('approver', queue);
      const all = await t.call('GET', queueUrl(queue, '&subtree=true'), undefined, approver.token);
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.deepEqual(all.body.items.map((r: any) => r.id), [gatedRun, trainingRun.id], 'newest first; never another tenant’s run');
      const [stepItem, runItem] = all.body.items;
      assert.equal(stepItem.status, 'running');
      assert.deepEqual(stepItem.awaitingSteps, [{ path: 'gate', stepId: 'gate', kind: 'updateData', startedAt: waiting.startedAt, deadline: waiting.approval.deadline }]);
      assert.equal(stepItem.playbookName, 'Queue gated');
      assert.deepEqual({ ...stepItem.item, shortId: undefined }, { kind: 'alert', id: gatedAlert, title: 'Gated alert', shortId: undefined });
      assert.match(stepItem.item.shortId, /^ALR-\d+$/);
      assert.equal(runItem.status, 'awaitingApproval');
      assert.equal(runItem.tenantId, sub);
      assert.deepEqual(runItem.awaitingSteps, []);
      assert.ok(runItem.approvalDeadline);
      assert.equal(runItem.item.title, 'queue training');
      assert.equal(runItem.item.id, trainedAlert);

      // Without subtree, the tenant's own; paging as in the runs list; reading needs what the runs list needs.
      assert.deepEqual((await t.call('GET', queueUrl(queue), undefined, approver.token)).body.items.map((r: any) => r.id), [gatedRun]);
      const first = await t.call('GET', queueUrl(queue, '&subtree=true&limit=1'));
      assert.deepEqual(first.body.items.map((r: any) => r.id), [gatedRun]);
      assert.ok(first.body.nextCursor);
      const second = await t.call('GET', queueUrl(queue, `&subtree=true&limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`));
      assert.deepEqual(second.body.items.map((r: any) => r.id), [trainingRun.id]);
      assert.equal(second.body.nextCursor, null);
      const observer = await t.userWithRole('observer', queue);
      assert.equal((await t.call('GET', queueUrl(queue, '&subtree=true'), undefined, observer.token)).status, 200);
      const stranger = await t.userWithRole('approver', other);
      assert.equal((await t.call('GET', queueUrl(queue, '&subtree=true'), undefined, stranger.token)).status, 404);
      assert.deepEqual((await t.call('GET', queueUrl(other, '&subtree=true'), undefined, stranger.token)).body.items.map((r: any) => r.id), [elsewhereRun]);

      // The query is validated, naming the field.
      const bad = await t.call('GET', `/api/v1/tenants/${queue}/playbook-runs?awaiting=decision`);
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /^querystring\.awaiting/);
      const mixed = await t.call('GET', queueUrl(queue, '&status=running'));
      assert.equal(mixed.status, 400);
      assert.match(mixed.body.error.message, /^querystring\.status: cannot be combined with awaiting=approval/);
      assert.equal((await t.call('GET', queueUrl(queue, '&cursor=nonsense'))).status, 400);

      // A step whose window has ended cannot be decided: it is not listed.
      await sql`update playbook_run_steps set approval_deadline = ${Date.now() - 1} where run_id = ${elsewhereRun} and path = 'gate'`.execute(t.app.services.database.db);
      assert.deepEqual((await t.call('GET', queueUrl(other))).body.items, []);

      // Decided (each in its own tenant, as the queue says), they leave the queue.
      assert.equal((await t.call('POST', stepUrl(queue, gatedRun, 'gate', 'approve'), undefined, approver.token)).status, 200);
      assert.equal((await t.call('POST', `/api/v1/tenants/${runItem.tenantId}/playbook-runs/${trainingRun.id}/approve`, undefined, approver.token)).status, 200);
      assert.deepEqual((await t.call('GET', queueUrl(queue, '&subtree=true'))).body.items, []);
      assert.equal((await finalRun(queue, gatedRun)).status, 'succeeded');
      assert.equal((await finalRun(sub, trainingRun.id)).status, 'succeeded');
      assert.equal((await finalRun(other, elsewhereRun)).status, 'failed');
    });

    test('a worker killed while a step awaits approval: the restarted worker keeps waiting, then applies the approved step once', async () => {
      const pb = await createPlaybook({ name: 'Gated restart', mode: 'manual', steps: [{ id: 'gate', kind: 'updateData', update: { comment: 'approved after a restart' }, approval: { required: true, windowMinutes: 30 } }] });
      const alertId = await createAlert();
      await t.app.services.jobs.stop({ drainMs: 2000 });
      const run = await launch(pb.id, alertId);
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url))], { env: { ...process.env, ...t.env, XDRHUB_JOB_LEASE_MS: '1500' }, stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const before = await awaitingApproval(tenantId, run, 'gate');
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        await t.app.startWorker();
        // Past the killed worker's lease: this worker has taken the run over and still waits.
        await new Promise((r) => setTimeout(r, 2500));
        const after = await stepOf(tenantId, run, 'gate');
        assert.equal(after.status, 'awaitingApproval');
        assert.equal(after.approval.deadline, before.approval.deadline, 'the window did not restart');
        assert.equal((await t.call('GET', `${base()}/playbook-runs/${run}`)).body.status, 'running');
        const approver = await t.userWithRole('approver', tenantId);
        assert.equal((await t.call('POST', stepUrl(tenantId, run, 'gate', 'approve'), undefined, approver.token)).status, 200);
        const done = await finalRun(tenantId, run);
        assert.equal(done.status, 'succeeded', done.error);
        assert.deepEqual(await commentsOf(alertId), ['approved after a restart']);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });
}
