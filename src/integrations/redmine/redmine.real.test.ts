import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { redmineUnavailable, startRedmine, type RedmineServer } from '../../../test/support/redmine.ts';
import { pollStatuses } from './index.ts';
import type { RedmineContext } from './api.ts';

// Against a REAL Redmine (Debian's 5.0.4, WEBrick on loopback; test/support/redmine.ts): one
// boot for this file. Every run makes its own projects, since Redmine's SQLite database persists.
const unavailable = redmineUnavailable();
if (unavailable) console.log(`# real Redmine tests skipped: ${unavailable}`);

describe('redmine connector against a real Redmine', { skip: unavailable }, () => {
  let t: TestApp;
  let rm: RedmineServer;
  let tenantId: string;
  let instanceId: string;
  const run = (action: string, target: any, params: unknown = {}) => t.app.services.integrations.runAction(tenantId, instanceId, action, target, params);
  const alert = (id: string, attrs: Record<string, unknown> = {}) => ({
    kind: 'alert' as const,
    value: id,
    attributes: { title: 'Ransomware note dropped', severity: 'critical', shortId: 'ALR-42', description: 'README_DECRYPT.txt written on 12 hosts', link: 'https://xdrhub.example/alerts/ALR-42', ...attrs },
  });

  before(async () => {
    [t, rm] = await Promise.all([startTestApp('sqlite'), startRedmine()]);
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Real Redmine customer' })).body.id;
  });
  after(async () => {
    await rm?.stop();
    await t?.close();
  });

  test('settings over the HTTP API and check connection (ok, wrong key, invisible project)', async () => {
    const created = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, {
      type: 'redmine',
      name: 'Redmine',
      config: { url: rm.url, project: rm.project, tracker: 'Bug', customFieldId: rm.customFieldId, statusMapping: { Closed: 'closed', 'In Progress': 'inProgress', Rejected: 'closed' } },
      secrets: { apiKey: rm.apiKey },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    instanceId = created.body.id;
    const check = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${instanceId}/check`);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    assert.equal(check.body.details.user, 'admin');
    const wrongKey = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'redmine', config: { url: rm.url, project: rm.project }, secrets: { apiKey: 'f'.repeat(40) } });
    assert.deepEqual([wrongKey.body.ok, wrongKey.body.stage], [false, 'authenticate']);
    const missing = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'redmine', instanceId, config: { url: rm.url, project: `${rm.project}-missing` } });
    assert.deepEqual([missing.body.ok, missing.body.stage], [false, 'authorize']);
  });

  let issueId: number;
  test('createIssue creates the issue Redmine shows: subject, link back, priority, custom field', async () => {
    const res = await run('createIssue', alert('real-a-1'));
    issueId = res.output!.issueId as number;
    assert.equal(res.output!.url, `${rm.url}/issues/${issueId}`);
    const { status, body } = await rm.api('GET', `/issues/${issueId}.json`);
    assert.equal(status, 200);
    assert.equal(body.issue.subject, '[xdrhub ALR-42] Ransomware note dropped');
    assert.equal(body.issue.priority.name, 'Urgent');
    assert.equal(body.issue.tracker.name, 'Bug');
    assert.match(body.issue.description, /Open in xdrhub: https:\/\/xdrhub\.example\/alerts\/ALR-42/);
    assert.equal(body.issue.custom_fields.find((f: any) => f.id === rm.customFieldId).value, 'real-a-1');
  });

  test('a second createIssue for the same item finds it (custom field search), concurrent calls too', async () => {
    const again = await run('createIssue', alert('real-a-1'));
    assert.deepEqual([again.output!.issueId, again.output!.created], [issueId, false]);
    const many = await Promise.all([1, 2, 3].map(() => run('createIssue', alert('real-a-2', { shortId: 'ALR-43' }))));
    assert.equal(new Set(many.map((r) => r.output!.issueId)).size, 1);
    const listed = await rm.api('GET', `/issues.json?project_id=${rm.project}&status_id=*&cf_${rm.customFieldId}=real-a-2`);
    assert.equal(listed.body.total_count, 1);
  });

  test('without the custom field, the subject marker finds the issue (in a fresh project)', async () => {
    const project = await rm.createProject('xdrhub-marker');
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'redmine', name: 'Redmine (marker)', config: { url: rm.url, project }, secrets: { apiKey: rm.apiKey } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const runMarker = (target: any) => t.app.services.integrations.runAction(tenantId, res.body.id, 'createIssue', target, {});
    const first = await runMarker(alert('real-m-1', { shortId: 'ALR-5' }));
    const second = await runMarker(alert('real-m-1', { shortId: 'ALR-5' }));
    assert.equal(second.output!.issueId, first.output!.issueId);
    // ALR-50 contains "ALR-5" but is another item: Redmine's "contains" match is confirmed exactly.
    const other = await runMarker(alert('real-m-2', { shortId: 'ALR-50' }));
    const third = await runMarker(alert('real-m-1', { shortId: 'ALR-5' }));
    assert.notEqual(other.output!.issueId, first.output!.issueId);
    assert.equal(third.output!.issueId, first.output!.issueId);
  });

  test('hostile values are stored as data: JSON metacharacters, CRLF, markup, a 10 KB description', async () => {
    const description = `${'A'.repeat(10_000)}\r\n"},{"project_id":1} <script>alert(1)</script>`;
    const res = await run('createIssue', alert('real-h-1', { title: 'x"}]\r\n{"evil":true} <b>bold</b>', shortId: 'ALR-66', description }));
    const { body } = await rm.api('GET', `/issues/${res.output!.issueId}.json`);
    assert.equal(body.issue.project.name, rm.project);
    assert.equal(body.issue.subject, '[xdrhub ALR-66] x"}] {"evil":true} <b>bold</b>');
    assert.ok(body.issue.description.replace(/\r\n/g, '\n').startsWith(`${'A'.repeat(10_000)}\n"},{"project_id":1} <script>alert(1)</script>`));
  });

  test('addNote adds a journal; getStatus maps the status back; pollStatuses reads many at once', async () => {
    await run('addNote', alert('real-a-1'), { issueId, text: 'xdrhub: status changed to inProgress' });
    const { body } = await rm.api('GET', `/issues/${issueId}.json?include=journals`);
    assert.deepEqual(body.issue.journals.map((j: any) => j.notes), ['xdrhub: status changed to inProgress']);

    const open = await run('getStatus', alert('real-a-1'), { issueId });
    assert.deepEqual([open.output!.status, open.output!.mappedStatus], ['New', undefined]);
    const put = await rm.api('PUT', `/issues/${issueId}.json`, { issue: { status_id: 5 } });
    assert.equal(put.status, 204);
    const closed = await run('getStatus', alert('real-a-1'), { issueId });
    assert.deepEqual([closed.output!.status, closed.output!.mappedStatus, closed.output!.closed], ['Closed', 'closed', true]);

    const polled = await t.app.services.integrations.withConnector(tenantId, instanceId, (ctx) => pollStatuses(ctx as RedmineContext, [issueId, 987654321]));
    assert.deepEqual(polled, [
      { issueId, found: true, status: 'Closed', closed: true, mappedStatus: 'closed' },
      { issueId: 987654321, found: false },
    ]);
    await assert.rejects(run('addNote', alert('real-a-1'), { issueId: 987654321, text: 'x' }), /404/);
  });

  test('the API key is in no log line and no stored setting', async () => {
    const stored = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${instanceId}`);
    assert.ok(!JSON.stringify(stored.body).includes(rm.apiKey));
    assert.ok(!t.logs.text().includes(rm.apiKey));
  });
});
