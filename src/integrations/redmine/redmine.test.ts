import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { startRedmineSimulator, type RedmineSimulator } from '../../../simulators/redmine/index.ts';
import { createOutboundClient } from '../../platform/outbound/index.ts';
import { createLogger } from '../../platform/log/index.ts';
import { pollStatuses, redmineConnector } from './index.ts';
import type { RedmineContext } from './api.ts';

// Redmine against the simulator, through the framework: settings and check over the HTTP API,
// actions through IntegrationsService.runAction. The real server: redmine.real.test.ts.
describe('redmine connector (simulator)', () => {
  let t: TestApp;
  let sim: RedmineSimulator;
  let tenantId: string;
  let instanceId: string;
  const alert = (id: string, attrs: Record<string, unknown> = {}) => ({
    kind: 'alert' as const,
    value: id,
    attributes: { title: 'Suspicious PowerShell', severity: 'high', shortId: 'ALR-7', description: 'encoded command line', link: 'https://xdrhub.example/alerts/ALR-7', ...attrs },
  });
  const run = (action: string, target: any, params: unknown = {}) => t.app.services.integrations.runAction(tenantId, instanceId, action, target, params);

  before(async () => {
    t = await startTestApp('sqlite');
    sim = await startRedmineSimulator({ projects: ['soc'] });
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Redmine customer' })).body.id;
  });
  after(async () => {
    await sim?.close();
    await t?.close();
  });

  test('settings are validated, the API key is write-only, and check reports each stage', async () => {
    const bad = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'redmine', name: 'RM', config: { url: 'ftp://x', project: 'soc' }, secrets: { apiKey: sim.apiKey } });
    assert.equal(bad.status, 400);
    const created = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, {
      type: 'redmine',
      name: 'Redmine',
      config: { url: sim.url, project: 'soc', tracker: 'Support', customFieldId: 1, statusMapping: { Closed: 'closed', 'In Progress': 'inProgress' } },
      secrets: { apiKey: sim.apiKey },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    instanceId = created.body.id;
    assert.ok(!JSON.stringify(created.body).includes(sim.apiKey), 'the API key is never echoed');
    assert.deepEqual(created.body.config.priorities, { low: 'Low', medium: 'Normal', high: 'High', critical: 'Urgent' });

    const ok = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`);
    assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
    assert.ok(sim.requests.some((r) => r.path === '/users/current.json'));
    assert.ok(sim.requests.some((r) => r.path === '/projects/soc.json'));

    const draft = (config: Record<string, unknown>, secrets?: Record<string, unknown>) =>
      t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'redmine', instanceId, config: { url: sim.url, project: 'soc', ...config }, secrets });
    const wrongKey = await draft({}, { apiKey: 'not-the-right-key' });
    assert.deepEqual([wrongKey.body.ok, wrongKey.body.stage], [false, 'authenticate']);
    const noProject = await draft({ project: 'nope' });
    assert.deepEqual([noProject.body.ok, noProject.body.stage], [false, 'authorize']);
    assert.match(noProject.body.message, /nope/);
    const badTracker = await draft({ tracker: 'Incident' });
    assert.deepEqual([badTracker.body.ok, badTracker.body.stage], [false, 'config']);
    assert.match(badTracker.body.message, /Bug, Feature, Support/);
    const down = await draft({ url: 'http://127.0.0.1:1' });
    assert.deepEqual([down.body.ok, down.body.stage], [false, 'connect']);
    sim.state.restDisabled = true;
    const disabled = await draft({});
    sim.state.restDisabled = false;
    assert.deepEqual([disabled.body.ok, disabled.body.stage], [false, 'authorize']);
    assert.match(disabled.body.message, /REST API/);
  });

  let issueId: number;
  test('createIssue makes one issue with subject, description, link, priority, tracker and the id field', async () => {
    const result = await run('createIssue', alert('a-0001'));
    issueId = result.output!.issueId as number;
    assert.equal(result.output!.url, `${sim.url}/issues/${issueId}`);
    assert.equal(result.output!.created, true);
    const issue = sim.state.issues.get(issueId)!;
    assert.equal(issue.subject, '[xdrhub ALR-7] Suspicious PowerShell');
    assert.match(issue.description, /^encoded command line\n/);
    assert.match(issue.description, /Open in xdrhub: https:\/\/xdrhub\.example\/alerts\/ALR-7/);
    assert.match(issue.description, /xdrhub id: a-0001/);
    assert.equal(issue.priority, 3, 'high → High');
    assert.equal(issue.tracker, 3, 'Support');
    assert.equal(issue.customFields[1], 'a-0001');
  });

  test('createIssue is idempotent: a second call (and concurrent calls) find the existing issue', async () => {
    const again = await run('createIssue', alert('a-0001'));
    assert.deepEqual([again.output!.issueId, again.output!.created], [issueId, false]);
    const many = await Promise.all([1, 2, 3].map(() => run('createIssue', alert('a-0002', { shortId: 'ALR-8', severity: 'critical' }))));
    assert.equal(new Set(many.map((r) => r.output!.issueId)).size, 1);
    assert.equal([...sim.state.issues.values()].filter((i) => i.customFields[1] === 'a-0002').length, 1);
    assert.equal(sim.state.issues.get(many[0].output!.issueId as number)!.priority, 4, 'critical → Urgent');
  });

  test('a custom field Redmine silently drops does not break idempotency (subject marker fallback)', async () => {
    const res = await t.call('PATCH', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`, { config: { url: sim.url, project: 'soc', customFieldId: 99 } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const first = await run('createIssue', alert('a-0004', { shortId: 'ALR-10' }));
    assert.deepEqual(sim.state.issues.get(first.output!.issueId as number)!.customFields, {}, 'the simulator, like Redmine, drops unknown fields');
    const second = await run('createIssue', alert('a-0004', { shortId: 'ALR-10' }));
    assert.deepEqual([second.output!.issueId, second.output!.created], [first.output!.issueId, false]);
  });

  test('without a custom field the subject marker plus the id line find the issue', async () => {
    const res = await t.call('PATCH', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`, { config: { url: sim.url, project: 'soc', statusMapping: { Closed: 'closed' } } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const first = await run('createIssue', alert('a-0003', { shortId: 'ALR-9' }));
    const second = await run('createIssue', alert('a-0003', { shortId: 'ALR-9' }));
    assert.equal(second.output!.issueId, first.output!.issueId);
    // Same short id, different xdrhub item (another tenant's ALR-9 in a shared project): a new issue.
    const other = await run('createIssue', alert('b-0003', { shortId: 'ALR-9' }));
    assert.notEqual(other.output!.issueId, first.output!.issueId);
    assert.ok(sim.requests.some((r) => r.query.subject === '~[xdrhub ALR-9]'));
  });

  test('incidents, defaults for missing attributes, and hostile values stay data', async () => {
    const hostile = '"},{"project_id":"other"} \r\n<script>alert(1)</script> $(reboot)';
    const res = await run('createIssue', { kind: 'incident', value: 'i-1', attributes: { title: hostile, shortId: 'INC-1"]', link: 'javascript:alert(1)' } });
    const issue = sim.state.issues.get(res.output!.issueId as number)!;
    assert.equal(issue.project, 'soc');
    assert.equal(issue.subject, '[xdrhub INC-1] "},{"project_id":"other"}  <script>alert(1)</script> $(reboot)');
    assert.ok(!issue.description.includes('javascript:'), 'only http(s) links are linked back');
    assert.equal(issue.priority, 2, 'missing severity → medium → Normal');
    await assert.rejects(run('createIssue', { kind: 'observable:ip', value: '1.2.3.4' }), /does not act on/);
  });

  test('addNote and getStatus (with the mapping back); 404 and 422 say what happened', async () => {
    const note = await run('addNote', alert('a-0001'), { issueId, text: 'Status changed to inProgress by analyst' });
    assert.equal(note.output!.issueId, issueId);
    assert.deepEqual(sim.state.issues.get(issueId)!.notes, ['Status changed to inProgress by analyst']);
    const before = sim.requests.length;
    const open = await run('getStatus', alert('a-0001'), { issueId });
    assert.deepEqual([open.output!.status, open.output!.mappedStatus], ['New', undefined]);
    assert.ok(sim.requests.slice(before).every((r) => r.method === 'GET'), 'getStatus has no side effects');
    sim.setStatus(issueId, 'Closed');
    const closed = await run('getStatus', alert('a-0001'), { issueId });
    assert.deepEqual([closed.output!.status, closed.output!.mappedStatus, closed.output!.closed], ['Closed', 'closed', true]);
    await assert.rejects(run('getStatus', alert('a-0001'), { issueId: 99999 }), /404/);
    await assert.rejects(run('addNote', alert('a-0001'), { issueId, text: '' }), /params\.text/);
  });

  test('pollStatuses reads many issues in one request per 100 and marks missing ones', async () => {
    const ctx: RedmineContext = {
      instance: { id: 'poll', tenantId: 't', name: 'poll', type: 'redmine' },
      config: { url: sim.url, project: 'soc', priorities: { low: 'Low', medium: 'Normal', high: 'High', critical: 'Urgent' }, statusMapping: { Closed: 'closed', Rejected: 'closed' }, verifyTls: true, timeoutSeconds: 5, proxy: false },
      secrets: { apiKey: sim.apiKey },
      logger: createLogger('silent'),
      http: createOutboundClient({ logger: createLogger('silent') }),
      signal: new AbortController().signal,
    };
    for (let i = 0; i < 150; i++) await redmineConnector.actions.createIssue.execute(ctx, alert(`p-${i}`, { shortId: `P-${i}` }), {});
    const ids = [...sim.state.issues.values()].filter((i) => i.subject.startsWith('[xdrhub P-')).map((i) => i.id);
    sim.setStatus(ids[0], 'Rejected');
    const before = sim.requests.length;
    const statuses = await pollStatuses(ctx, [...ids, 424242]);
    assert.equal(sim.requests.length - before, 2, '151 ids → 2 requests');
    assert.equal(statuses.length, 151);
    assert.deepEqual(statuses[0], { issueId: ids[0], found: true, status: 'Rejected', closed: true, mappedStatus: 'closed' });
    assert.deepEqual(statuses.at(-1), { issueId: 424242, found: false });
    await ctx.http.close();
  });

  test('the API key never reaches logs, errors or stored settings', async () => {
    await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`);
    sim.failNext(500);
    await assert.rejects(run('createIssue', alert('a-0009')), (err: Error) => !err.message.includes(sim.apiKey) && /500/.test(err.message));
    const stored = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`);
    assert.ok(!JSON.stringify(stored.body).includes(sim.apiKey));
    assert.ok(!t.logs.text().includes(sim.apiKey), 'the key is in no log line');
  });
});
