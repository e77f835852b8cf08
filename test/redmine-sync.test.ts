import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from './support/app.ts';
import { startRedmineSimulator, type RedmineSimulator } from '../simulators/redmine/index.ts';

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// An alert's Redmine issue: created from a response action, linked as the external reference,
// notes on status changes, and the issue's status brought back by the poller.
describe('Redmine ticket sync', () => {
  let t: TestApp;
  let sim: RedmineSimulator;
  let tenantId: string;
  let instanceId: string;
  before(async () => {
    t = await startTestApp('sqlite', { XDRHUB_JOB_POLL_MS: '50', XDRHUB_PUBLIC_URL: 'https://xdrhub.example' });
    await t.app.startWorker();
    sim = await startRedmineSimulator({ projects: ['soc'] });
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Ticketing customer' })).body.id;
    const inst = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, {
      type: 'redmine',
      name: 'Redmine',
      config: { url: sim.url, project: 'soc', customFieldId: 1, statusMapping: { Closed: 'closed', 'In Progress': 'inProgress' } },
      secrets: { apiKey: sim.apiKey },
    });
    assert.equal(inst.status, 201, JSON.stringify(inst.body));
    instanceId = inst.body.id;
  });
  after(async () => {
    await sim?.close();
    await t?.close();
  });

  test('create, link, note on status change, status back from Redmine', async () => {
    const alert = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, { title: 'Phishing <b>wave</b>', severity: 'critical', source: 'sync-test' });
    const launch = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'createIssue', targets: [{ kind: 'alert', value: alert.body.id }] });
    assert.equal(launch.status, 201, JSON.stringify(launch.body));
    assert.equal(launch.body.actions[0].target.attributes.title, 'Phishing <b>wave</b>', 'the alert facts were filled in by xdrhub');
    const linked = await until('external reference', async () => {
      const a = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${alert.body.id}`);
      return a.body.externalRef ? a.body : null;
    });
    const issueId = linked.additionalData.redmine.issueId as number;
    assert.match(linked.externalRef, new RegExp(`/issues/${issueId}$`));
    const issue = sim.state.issues.get(issueId)!;
    assert.match(issue.description, /https:\/\/xdrhub\.example\/alerts\//);

    await t.call('PATCH', `/api/v1/tenants/${tenantId}/alerts/${alert.body.id}`, { status: 'inProgress' });
    await until('note', async () => sim.state.issues.get(issueId)!.notes.some((n) => /status changed from new to inProgress/.test(n)));
    const history = await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions?alertId=${alert.body.id}&action=addNote`);
    assert.equal(history.body.items.length, 1);

    sim.setStatus(issueId, 'Closed');
    const applied = await t.app.services.redmineSync.pollAll();
    assert.equal(applied, 1);
    const closed = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${alert.body.id}`);
    assert.deepEqual([closed.body.status, closed.body.resolution], ['closed', 'truePositive']);
    // The status that came from Redmine does not echo back as a note.
    await new Promise((r) => setTimeout(r, 300));
    const notes = await t.call('GET', `/api/v1/tenants/${tenantId}/response/actions?alertId=${alert.body.id}&action=addNote`);
    assert.equal(notes.body.items.length, 1);
    assert.equal(await t.app.services.redmineSync.pollAll(), 0, 'an unchanged status is not applied again');
  });

  test("another tenant's alert cannot be a ticket target", async () => {
    const other = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Other' })).body.id;
    const alert = await t.call('POST', `/api/v1/tenants/${other}/alerts`, { title: 'x', severity: 'low', source: 's' });
    const launch = await t.call('POST', `/api/v1/tenants/${tenantId}/response/launches`, { instanceId, action: 'createIssue', targets: [{ kind: 'alert', value: alert.body.id }] });
    assert.equal(launch.status, 404);
  });
});
