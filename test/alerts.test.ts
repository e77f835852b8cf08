import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './support/db.ts';
import { startTestApp, type TestApp } from './support/app.ts';

const alert = (n: number, extra: Record<string, unknown> = {}) => ({
  title: `Suspicious logon ${n}`,
  severity: (['low', 'medium', 'high', 'critical'] as const)[n % 4],
  source: 'test-siem',
  sourceId: `evt-${n}`,
  rules: [n % 2 ? 'R-brute-force' : 'R-lateral'],
  techniques: ['T1110'],
  observables: [
    { type: 'ip', value: `10.0.${n % 3}.1` },
    { type: 'domain', value: 'Evil.Example.COM' },
    { type: 'ip', value: `10.0.${n % 3}.1` },
  ],
  assets: [
    { kind: 'host', name: `WS-${n}`, role: 'victim', ips: ['10.1.1.1'], agentIds: { kata: `sensor-${n}` } },
    { kind: 'account', login: 'alice', domain: 'CORP', role: 'victim', email: 'alice@corp.example' },
  ],
  events: [{ EventID: 4625, n }],
  ...extra,
});

for (const d of await dialectsUnderTest()) {
  describe(`alerts and incidents (${d.dialect})`, { skip: d.skip }, () => {
    let t: TestApp;
    let tenantId: string;
    let otherId: string;
    before(async () => {
      t = await startTestApp(d.dialect);
      tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'SOC customer' })).body.id;
      otherId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Other customer' })).body.id;
    });
    after(async () => t?.close());

    test('create one alert: observables normalized and deduplicated, assets kept, short id per tenant', async () => {
      const res = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(0));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.shortId, 'ALR-1');
      const details = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${res.body.id}`);
      assert.equal(details.status, 200);
      assert.deepEqual(details.body.observables.map((o: any) => `${o.type}:${o.value}`).sort(), ['domain:evil.example.com', 'ip:10.0.0.1']);
      assert.deepEqual(details.body.assets.map((a: any) => a.name).sort(), ['CORP\\alice', 'ws-0']);
      assert.deepEqual(details.body.events, [{ EventID: 4625, n: 0 }]);
      assert.equal(details.body.status, 'new');
      // The same source id again: nothing new.
      const again = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(0));
      assert.equal(again.status, 200);
      assert.equal(again.body.id, res.body.id);
      assert.equal(again.body.created, false);
    });

    test('a re-sent batch creates nothing twice', async () => {
      const batch = { alerts: Array.from({ length: 30 }, (_, i) => alert(i + 1)) };
      const first = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts/batch`, batch);
      assert.equal(first.status, 200);
      assert.deepEqual([first.body.created, first.body.existing], [30, 0]);
      const second = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts/batch`, batch);
      assert.deepEqual([second.body.created, second.body.existing], [0, 30]);
      assert.deepEqual(second.body.items.map((i: any) => i.id), first.body.items.map((i: any) => i.id));
    });

    test('filters, sorting and cursor pagination', async () => {
      const high = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?severity=high,critical&limit=100`);
      assert.ok(high.body.items.length > 0);
      assert.ok(high.body.items.every((a: any) => ['high', 'critical'].includes(a.severity)));
      const byRule = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?rule=R-lateral&limit=100`);
      assert.ok(byRule.body.items.every((a: any) => a.rules.includes('R-lateral')));
      const pivot = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?observable=10.0.2.1&observableType=ip&limit=100`);
      assert.equal(pivot.body.items.length, 10);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?sort=-severity&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(res.status, 200);
        seen.push(...res.body.items.map((a: any) => `${a.severity}|${a.id}`));
        cursor = res.body.nextCursor;
      } while (cursor);
      assert.equal(seen.length, 31);
      assert.equal(new Set(seen).size, 31);
      const ranks = seen.map((s) => ['low', 'medium', 'high', 'critical'].indexOf(s.split('|')[0]));
      assert.deepEqual(ranks, [...ranks].sort((a, b) => b - a));
      const bad = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?cursor=garbage`);
      assert.equal(bad.status, 400);
      const subtree = await t.call('GET', `/api/v1/tenants/${t.rootId}/alerts?subtree=true&limit=500`);
      assert.equal(subtree.body.items.length, 31);
    });

    test('assign, comment, close with a resolution; closed alerts are read-only until reopened', async () => {
      const created = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(100));
      const id = created.body.id;
      const me = await t.call('GET', '/api/v1/me');
      const assigned = await t.call('PATCH', `/api/v1/tenants/${tenantId}/alerts/${id}`, { assigneeId: me.body.user.id, status: 'inProgress' });
      assert.equal(assigned.body.status, 'inProgress');
      assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/alerts/${id}/comments`, { text: 'looking' })).status, 201);
      const noResolution = await t.call('PATCH', `/api/v1/tenants/${tenantId}/alerts/${id}`, { status: 'closed' });
      assert.equal(noResolution.status, 400);
      assert.equal((await t.call('PATCH', `/api/v1/tenants/${tenantId}/alerts/${id}`, { status: 'closed', resolution: 'falsePositive' })).status, 200);
      assert.equal((await t.call('PATCH', `/api/v1/tenants/${tenantId}/alerts/${id}`, { severity: 'low' })).status, 409);
      assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/alerts/${id}/comments`, { text: 'late' })).status, 409);
      const reopened = await t.call('PATCH', `/api/v1/tenants/${tenantId}/alerts/${id}`, { status: 'inProgress' });
      assert.equal(reopened.body.status, 'inProgress');
      assert.equal(reopened.body.resolution, null);
    });

    test('incidents link at most 200 alerts; link and unlink move alert status', async () => {
      const batch = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts/batch`, { alerts: Array.from({ length: 201 }, (_, i) => alert(1000 + i)) });
      const ids = batch.body.items.map((i: any) => i.id);
      const inc = await t.call('POST', `/api/v1/tenants/${tenantId}/incidents`, { title: 'Brute force wave', severity: 'high', alertIds: ids.slice(0, 150) });
      assert.equal(inc.status, 201, JSON.stringify(inc.body));
      assert.equal(inc.body.alertCount, 150);
      assert.equal(inc.body.shortId, 'INC-1');
      const tooMany = await t.call('POST', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}/alerts`, { alertIds: ids.slice(150, 201) });
      assert.equal(tooMany.status, 409);
      assert.match(tooMany.body.error.message, /at most 200/);
      const ok = await t.call('POST', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}/alerts`, { alertIds: ids.slice(150, 200) });
      assert.equal(ok.body.alertCount, 200);
      const linked = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${ids[0]}`);
      assert.equal(linked.body.status, 'inIncident');
      assert.equal(linked.body.incidentId, inc.body.id);
      const un = await t.call('DELETE', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}/alerts/${ids[0]}`);
      assert.equal(un.body.alertCount, 199);
      const detail = await t.call('GET', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}`);
      assert.equal(detail.body.alerts.length, 199);
      const closed = await t.call('PATCH', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}`, { status: 'closed', resolution: 'truePositive' });
      assert.equal(closed.body.status, 'closed');
      assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}/alerts`, { alertIds: [ids[0]] })).status, 409);
    });

    test("an incident's details carry its alerts' observables and assets, each with its alert, and nothing else", async () => {
      const [a, b, other] = await Promise.all([
        t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(3001, { sourceId: 'inc-obs-a' })),
        t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(3002, { sourceId: 'inc-obs-b' })),
        t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(3003, { sourceId: 'inc-obs-unlinked', observables: [{ type: 'ip', value: '203.0.113.9' }] })),
      ]);
      const inc = await t.call('POST', `/api/v1/tenants/${tenantId}/incidents`, { title: 'Shared domain', severity: 'high', alertIds: [a.body.id, b.body.id] });
      assert.equal(inc.status, 201, JSON.stringify(inc.body));
      const detail = await t.call('GET', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}`);
      assert.equal(detail.status, 200);
      const obs = detail.body.observables.map((o: any) => `${o.alertId === a.body.id ? 'a' : o.alertId === b.body.id ? 'b' : '?'} ${o.type}:${o.value}`).sort();
      // Stored per alert: the shared domain appears once for each alert (the console groups them).
      assert.deepEqual(obs, ['a domain:evil.example.com', 'a ip:10.0.1.1', 'b domain:evil.example.com', 'b ip:10.0.2.1']);
      assert.ok(detail.body.observables.every((o: any) => typeof o.id === 'string' && 'enrichment' in o && 'statusUpdateAt' in o));
      const assets = detail.body.assets.map((x: any) => `${x.alertId === a.body.id ? 'a' : 'b'} ${x.kind}:${x.name}`).sort();
      assert.deepEqual(assets, ['a account:CORP\\alice', 'a host:ws-3001', 'b account:CORP\\alice', 'b host:ws-3002']);
      assert.equal(detail.body.assets.find((x: any) => x.kind === 'account').attributes.email, 'alice@corp.example');
      assert.ok(!JSON.stringify(detail.body).includes('203.0.113.9'), 'an unlinked alert adds nothing');
      // Unlinking an alert takes its observables and assets off the incident.
      await t.call('DELETE', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}/alerts/${b.body.id}`);
      const after = await t.call('GET', `/api/v1/tenants/${tenantId}/incidents/${inc.body.id}`);
      assert.ok(after.body.observables.length === 2 && after.body.observables.every((o: any) => o.alertId === a.body.id));
      assert.ok(after.body.assets.length === 2 && after.body.assets.every((x: any) => x.alertId === a.body.id));
      // An empty incident has empty lists; another tenant gets a 404, not the lists.
      const empty = await t.call('POST', `/api/v1/tenants/${tenantId}/incidents`, { title: 'Empty', severity: 'low' });
      const emptyDetail = await t.call('GET', `/api/v1/tenants/${tenantId}/incidents/${empty.body.id}`);
      assert.deepEqual([emptyDetail.body.observables, emptyDetail.body.assets], [[], []]);
      assert.equal((await t.call('GET', `/api/v1/tenants/${otherId}/incidents/${inc.body.id}`)).status, 404);
      void other;
    });

    test('an assignee must be an active user who can read the alerts of the tenant', async () => {
      const id = (await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(200))).body.id;
      const inc = (await t.call('POST', `/api/v1/tenants/${tenantId}/incidents`, { title: 'Assignees', severity: 'low' })).body.id;
      const analyst = await t.userWithRole('tier2', tenantId);
      const stranger = await t.userWithRole('tier2', otherId);
      const adminOnly = await t.userWithRole('socAdmin', tenantId); // SOC admins do not read alerts (SPEC.md §1)
      const refused = [crypto.randomUUID(), stranger.userId, adminOnly.userId];
      for (const [kind, itemId] of [['alerts', id], ['incidents', inc]]) {
        for (const assigneeId of refused) {
          const res = await t.call('PATCH', `/api/v1/tenants/${tenantId}/${kind}/${itemId}`, { assigneeId });
          assert.equal(res.status, 400, `${kind} ← ${assigneeId}`);
          assert.equal(res.body.error.details.field, 'body.assigneeId');
        }
        const ok = await t.call('PATCH', `/api/v1/tenants/${tenantId}/${kind}/${itemId}`, { assigneeId: analyst.userId });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.body.assigneeId, analyst.userId);
        assert.equal((await t.call('PATCH', `/api/v1/tenants/${tenantId}/${kind}/${itemId}`, { assigneeId: null })).body.assigneeId, null);
      }
      // A disabled user can no longer be given work.
      assert.equal((await t.call('PATCH', `/api/v1/tenants/${tenantId}/users/${analyst.userId}`, { disabled: true })).status, 200);
      assert.equal((await t.call('PATCH', `/api/v1/tenants/${tenantId}/alerts/${id}`, { assigneeId: analyst.userId })).status, 400);
    });

    test('filters by status, assignee, time range and incident', async () => {
      const start = new Date().toISOString();
      const ids: string[] = [];
      for (const n of [300, 301, 302]) ids.push((await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(n))).body.id);
      const me = (await t.userWithRole('tier1', tenantId)).userId;
      assert.equal((await t.call('PATCH', `/api/v1/tenants/${tenantId}/alerts/${ids[0]}`, { assigneeId: me, status: 'inProgress' })).status, 200);
      const inc = (await t.call('POST', `/api/v1/tenants/${tenantId}/incidents`, { title: 'Filter by incident', severity: 'low', alertIds: [ids[1]] })).body.id;
      const list = async (query: string) => {
        const res = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?limit=500&${query}`);
        assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
        return res.body.items as any[];
      };
      assert.deepEqual((await list(`assigneeId=${me}`)).map((a) => a.id), [ids[0]]);
      const inProgress = await list('status=inProgress');
      assert.ok(inProgress.some((a) => a.id === ids[0]) && inProgress.every((a) => a.status === 'inProgress'));
      assert.deepEqual((await list(`incidentId=${inc}`)).map((a) => a.id), [ids[1]]);
      assert.deepEqual((await list(`status=inIncident&from=${encodeURIComponent(start)}`)).map((a) => a.id), [ids[1]]);
      assert.deepEqual((await list(`from=${encodeURIComponent(start)}`)).map((a) => a.id).sort(), [...ids].sort());
      assert.equal((await list(`to=${encodeURIComponent(start)}`)).filter((a) => ids.includes(a.id)).length, 0);
      const bad = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?status=open`);
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /^querystring\.status/);
    });

    test('hostile observable values are stored verbatim or refused with 400, never executed', async () => {
      const stored = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(5000, { observables: [{ type: 'filePath', value: '$(reboot)' }, { type: 'userName', value: "'; DROP TABLE alerts; --" }] }));
      assert.equal(stored.status, 201);
      const details = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${stored.body.id}`);
      assert.deepEqual(details.body.observables.map((o: any) => o.value).sort(), ['$(reboot)', "'; DROP TABLE alerts; --"]);
      const crlf = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(5001, { observables: [{ type: 'url', value: 'http://a.test/x\r\nSet-Cookie: y=1' }] }));
      assert.equal(crlf.status, 400);
      assert.match(crlf.body.error.message, /^observables\.0\.value: .*control characters/);
      const huge = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(5002, { observables: [{ type: 'filePath', value: 'x'.repeat(10 * 1024 * 1024) }] }));
      assert.ok([400, 413].includes(huge.status), `status ${huge.status}`);
      const badHash = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(5003, { observables: [{ type: 'sha256', value: 'nothex' }] }));
      assert.equal(badHash.status, 400);
      const invalidUtf8 = await t.app.http.inject({ method: 'POST', url: `/api/v1/tenants/${tenantId}/alerts`, headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' }, payload: Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","severity":"low","source":"x"}')]) });
      assert.ok(invalidUtf8.statusCode === 201 || invalidUtf8.statusCode === 400, `status ${invalidUtf8.statusCode}`);
      const count = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?limit=1`);
      assert.equal(count.status, 200, 'the alerts table is still there');
    });

    test("another tenant's alert or incident is 404 on every route", async () => {
      const created = await t.call('POST', `/api/v1/tenants/${tenantId}/alerts`, alert(7000));
      const inc = await t.call('POST', `/api/v1/tenants/${tenantId}/incidents`, { title: 'x', severity: 'low' });
      const id = created.body.id;
      const calls: [string, string, unknown?][] = [
        ['GET', `/api/v1/tenants/${otherId}/alerts/${id}`],
        ['PATCH', `/api/v1/tenants/${otherId}/alerts/${id}`, { severity: 'high' }],
        ['POST', `/api/v1/tenants/${otherId}/alerts/${id}/comments`, { text: 'x' }],
        ['GET', `/api/v1/tenants/${otherId}/incidents/${inc.body.id}`],
        ['PATCH', `/api/v1/tenants/${otherId}/incidents/${inc.body.id}`, { title: 'y' }],
        ['POST', `/api/v1/tenants/${otherId}/incidents/${inc.body.id}/alerts`, { alertIds: [id] }],
        ['POST', `/api/v1/tenants/${otherId}/incidents`, { title: 'steal', severity: 'low', alertIds: [id] }],
        ['POST', `/api/v1/tenants/${otherId}/incidents/${inc.body.id}/comments`, { text: 'x' }],
        ['DELETE', `/api/v1/tenants/${otherId}/incidents/${inc.body.id}/alerts/${id}`],
        ['POST', `/api/v1/tenants/${otherId}/alerts/${id}/enrich`, {}],
        ['POST', `/api/v1/tenants/${otherId}/incidents/${inc.body.id}/enrich`, {}],
        ['POST', `/api/v1/tenants/${otherId}/alerts/${id}/refresh-status`, {}],
        ['POST', `/api/v1/tenants/${otherId}/incidents/${inc.body.id}/refresh-status`, {}],
        ['POST', `/api/v1/tenants/${otherId}/response/launches`, { instanceId: crypto.randomUUID(), action: 'x', alertId: id, targets: [{ kind: 'alert', value: id }] }],
      ];
      for (const [method, url, body] of calls) assert.equal((await t.call(method, url, body)).status, 404, `${method} ${url}`);
      // Nor can the other tenant pull this alert into an incident of its own.
      const theirs = await t.call('POST', `/api/v1/tenants/${otherId}/incidents`, { title: 'theirs', severity: 'low' });
      assert.equal((await t.call('POST', `/api/v1/tenants/${otherId}/incidents/${theirs.body.id}/alerts`, { alertIds: [id] })).status, 404);
      assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${id}`)).body.incidentId, null);
      const otherAnalyst = await t.userWithRole('tier1', otherId);
      assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${id}`, undefined, otherAnalyst.token)).status, 404);
      assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/alerts`, undefined, otherAnalyst.token)).status, 404);
      const list = await t.call('GET', `/api/v1/tenants/${otherId}/alerts?observable=10.0.1.1`, undefined, otherAnalyst.token);
      assert.equal(list.body.items.length, 0);
    });
  });
}
