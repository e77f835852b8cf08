// The events product end to end: syslog over UDP and TCP and JSON over HTTP reach collectors,
// are normalized (per-source-IP selection), stored, searched, kept for the retention and matched
// by a tenant's Sigma rules into alerts with observables; tenants never see each other's objects.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { createTestCa } from './support/tls.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { dialectsUnderTest } from './support/db.ts';
import { sendTcp, sendUdp, sshFailedRule, sshLine } from './support/syslog.ts';
import { SYSTEM_ACTOR } from '../src/platform/actor.ts';

const SSH_RULES = `${sshFailedRule('7b0f8f2e-0000-4000-8000-00000000a001')}---
title: Backup account network flow
id: 7b0f8f2e-0000-4000-8000-00000000a002
logsource: {product: elastic}
detection:
  selection:
    user.name: svc_backup
  condition: selection
level: medium
tags: [attack.lateral_movement, attack.t1021.002]
`;


/** Waits until `check` passes (events travel through sockets and the queue asynchronously). */
async function eventually<T>(t: TestApp, check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    await t.app.services.events.idle();
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function alertFor(t: TestApp, tenantId: string, ip: string) {
  const list = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?observable=${ip}`);
  assert.equal(list.status, 200);
  return list.body.items[0];
}

describe('events end to end (sqlite)', () => {
  let t: TestApp;
  let tenantId: string;
  let otherId: string;
  let udp: any;
  let tcp: any;
  let httpCollector: { id: string; token: string };

  before(async () => {
    t = await startTestApp('sqlite');
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Events customer' })).body.id;
    otherId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Other customer' })).body.id;
    await t.app.services.events.startCollectors();
    const imported = await t.app.http.inject({ method: 'POST', url: `/api/v1/tenants/${tenantId}/detection-rules`, headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/yaml' }, payload: SSH_RULES });
    assert.equal(imported.statusCode, 201, imported.body);
    assert.equal(JSON.parse(imported.body).created, 2);
    udp = (await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'udp', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd' })).body.collector;
    // Default Cisco ASA, but the sender 127.0.0.1 is an sshd host: the override must win.
    const tcpRes = await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'tcp', kind: 'syslog-tcp', port: 0, defaultSource: 'cisco-asa', sourceOverrides: { '127.0.0.1': 'linux-sshd' } });
    assert.equal(tcpRes.status, 201, JSON.stringify(tcpRes.body));
    tcp = tcpRes.body.collector;
    const h = await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'http', kind: 'http', defaultSource: 'elastic-ecs' });
    assert.equal(h.status, 201);
    assert.match(h.body.token, /^xdrc_/);
    httpCollector = { id: h.body.collector.id, token: h.body.token };
    assert.ok(udp.listeningPort > 0 && tcp.listeningPort > 0);
  });
  after(async () => t?.close());

  test('a syslog line over UDP becomes an alert with its observables and MITRE tags', async () => {
    await sendUdp(udp.listeningPort, sshLine('218.92.0.107'));
    const alert = await eventually(t, () => alertFor(t, tenantId, '218.92.0.107'), 'the UDP alert');
    assert.equal(alert.title, 'SSH failed password');
    assert.equal(alert.severity, 'high');
    assert.equal(alert.source, 'sigma');
    assert.deepEqual(alert.techniques, ['T1110.001']);
    const details = (await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${alert.id}`)).body;
    const obs = details.observables.map((o: any) => `${o.type}:${o.value}`).sort();
    assert.deepEqual(obs, ['ip:218.92.0.107', 'userName:root']);
    assert.equal(details.events[0].SourceAddress, '218.92.0.107');
  });

  test('repeated matches of a rule for one address in one 5-minute window update one alert, not a flood', async () => {
    for (let i = 0; i < 3; i++) await sendUdp(udp.listeningPort, sshLine('218.92.0.107', `user${i}`));
    await eventually(t, async () => ((await t.call('GET', `/api/v1/tenants/${tenantId}/collectors/${udp.id}`)).body.metrics.stored >= 4 ? true : undefined), 'the repeated lines');
    const list = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?observable=218.92.0.107`);
    assert.equal(list.body.items.length, 1);
    const view = (await t.call('GET', `/api/v1/tenants/${tenantId}/collectors/${udp.id}`)).body;
    assert.equal(view.metrics.alertsCreated, 1);
    assert.equal(view.metrics.alertsDeduped, 3);
  });

  test('over TCP (octet counting and newline framing) with the per-source-IP normalizer; a malformed line is a counted parse error', async () => {
    const framed = sshLine('203.0.113.7');
    await sendTcp(tcp.listeningPort, `${Buffer.byteLength(framed)} ${framed}${sshLine('203.0.113.8')}\nthis is not syslog at all\n`);
    const alert = await eventually(t, () => alertFor(t, tenantId, '203.0.113.7'), 'the TCP alert');
    assert.equal(alert.title, 'SSH failed password');
    assert.ok(await alertFor(t, tenantId, '203.0.113.8'), 'the newline-framed line matched too');
    const view = (await t.call('GET', `/api/v1/tenants/${tenantId}/collectors/${tcp.id}`)).body;
    assert.equal(view.metrics.received, 3);
    assert.equal(view.metrics.stored, 2);
    assert.equal(view.metrics.parseErrors, 1);
    const stored = await t.call('GET', `/api/v1/tenants/${tenantId}/events?field=SourceAddress:203.0.113.7`);
    assert.equal(stored.body.items[0].sourceId, 'linux-sshd', 'the override chose the sshd normalizer, not the default Cisco ASA');
    // The collector survives garbage: the server still answers and the listener still accepts.
    await sendTcp(tcp.listeningPort, '\u0000\u0001\u0002 999999999999 <<>>\n');
    await sendTcp(tcp.listeningPort, `${sshLine('203.0.113.9')}\n`);
    assert.ok(await eventually(t, () => alertFor(t, tenantId, '203.0.113.9'), 'the alert after garbage'));
  });

  test('a JSON batch over HTTP needs the collector token, is stored before 202 and matches', async () => {
    const batch = [
      { '@timestamp': new Date().toISOString(), event: { action: 'network_flow' }, source: { ip: '10.0.4.4', port: 50100 }, destination: { ip: '10.0.0.10', port: 445 }, user: { name: 'svc_backup' }, host: { name: 'backup01' } },
      { '@timestamp': new Date().toISOString(), event: { action: 'network_flow' }, source: { ip: '10.0.4.5' }, user: { name: 'alice' } },
    ];
    const url = `/api/v1/ingest/${httpCollector.id}`;
    const denied = await t.app.http.inject({ method: 'POST', url, headers: { authorization: 'Bearer xdrc_wrong' }, payload: batch });
    assert.equal(denied.statusCode, 401);
    const noToken = await t.app.http.inject({ method: 'POST', url, payload: batch });
    assert.equal(noToken.statusCode, 401);
    const res = await t.app.http.inject({ method: 'POST', url, headers: { authorization: `Bearer ${httpCollector.token}` }, payload: batch });
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(JSON.parse(res.body), { accepted: 2, stored: 2, parseErrors: 0, alerts: 1 });
    // JSON lines, one of them broken.
    const lines = `${JSON.stringify(batch[1])}\n{not json\n`;
    const nd = await t.app.http.inject({ method: 'POST', url, headers: { authorization: `Bearer ${httpCollector.token}`, 'content-type': 'application/x-ndjson' }, payload: lines });
    assert.equal(nd.statusCode, 202, nd.body);
    assert.deepEqual(JSON.parse(nd.body), { accepted: 2, stored: 1, parseErrors: 1, alerts: 0 });
    const alert = await alertFor(t, tenantId, '10.0.4.4');
    assert.equal(alert.title, 'Backup account network flow');
    assert.equal(alert.severity, 'medium');
    const details = (await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${alert.id}`)).body;
    assert.ok(details.observables.some((o: any) => o.type === 'userName' && o.value === 'svc_backup'));
    assert.ok(details.observables.some((o: any) => o.type === 'ip' && o.value === '10.0.0.10'));
  });

  test('search by time range and field, with cursor pages', async () => {
    const all = await t.call('GET', `/api/v1/tenants/${tenantId}/events?field=DeviceHostName:web01&limit=2`);
    assert.equal(all.status, 200);
    assert.equal(all.body.items.length, 2);
    assert.ok(all.body.nextCursor);
    const next = await t.call('GET', `/api/v1/tenants/${tenantId}/events?field=DeviceHostName:web01&limit=2&cursor=${all.body.nextCursor}`);
    assert.ok(next.body.items.length >= 1);
    assert.ok(!next.body.items.some((e: any) => all.body.items.some((a: any) => a.id === e.id)));
    // The syslog lines carry 11:10:00 on Nov 28 (this year); the HTTP events carry now.
    const year = new Date().getUTCFullYear();
    const window = await t.call('GET', `/api/v1/tenants/${tenantId}/events?from=${year}-11-28T11:09:00Z&to=${year}-11-28T11:11:00Z&limit=1000`);
    assert.ok(window.body.items.length >= 6);
    assert.ok(window.body.items.every((e: any) => e.time === `${year}-11-28T11:10:00.000Z`));
    const twoFields = await t.call('GET', `/api/v1/tenants/${tenantId}/events?field=SourceAddress:10.0.4.4&field=DestinationPort:445`);
    assert.equal(twoFields.body.items.length, 1);
    assert.equal(twoFields.body.items[0].fields.SourceUserName ?? twoFields.body.items[0].original.user.name, 'svc_backup');
    const bad = await t.call('GET', `/api/v1/tenants/${tenantId}/events?field=NoSuchField:1`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.field, 'field');
  });

  test('over TLS with the certificate from the settings; the key stays in the vault', async () => {
    const ca = await createTestCa();
    const leaf = await ca.issue({ cn: 'collector', ips: ['127.0.0.1'] });
    const bad = await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'tls', kind: 'syslog-tls', port: 0, defaultSource: 'linux-sshd', tls: { cert: leaf.cert, key: 'not a key' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.field, 'tls');
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'tls', kind: 'syslog-tls', port: 0, defaultSource: 'linux-sshd', tls: { cert: leaf.cert, key: leaf.key } });
    assert.equal(res.status, 201);
    assert.ok(!JSON.stringify(res.body).includes('PRIVATE KEY'), 'the key is never shown');
    await new Promise<void>((resolve, reject) => {
      const c = tls.connect({ port: res.body.collector.listeningPort, host: '127.0.0.1', ca: ca.cert }, () => c.end(`${sshLine('192.0.2.44')}\n`));
      c.on('close', () => resolve());
      c.on('error', reject);
    });
    assert.equal((await eventually(t, () => alertFor(t, tenantId, '192.0.2.44'), 'the TLS alert')).title, 'SSH failed password');
  });

  test('a correlation (event_count by source address) raises one alert with the base events; its base rule alone stays silent', async () => {
    const corrTenant = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Correlation customer' })).body.id;
    const yaml = `title: SSH failed password (base)
id: 7b0f8f2e-0000-4000-8000-00000000b001
name: ssh_failed_base
logsource: {product: linux, service: sshd}
detection:
  selection:
    message|startswith: 'Failed password'
  condition: selection
level: low
---
title: SSH brute force
id: 7b0f8f2e-0000-4000-8000-00000000b002
correlation:
  type: event_count
  rules: [ssh_failed_base]
  group-by: [src]
  timespan: 5m
  condition: {gte: 3}
level: critical
tags: [attack.credential_access, attack.t1110]
`;
    assert.equal((await t.call('POST', `/api/v1/tenants/${corrTenant}/detection-rules`, { yaml })).status, 201);
    const c = (await t.call('POST', `/api/v1/tenants/${corrTenant}/collectors`, { name: 'udp', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd' })).body.collector;
    for (let i = 0; i < 3; i++) {
      await sendUdp(c.listeningPort, sshLine('198.18.0.9', `victim${i}`));
      await t.app.services.events.idle();
    }
    const alert = await eventually(t, () => alertFor(t, corrTenant, '198.18.0.9'), 'the correlation alert');
    assert.equal(alert.title, 'SSH brute force');
    assert.equal(alert.severity, 'critical');
    assert.deepEqual(alert.techniques, ['T1110']);
    const all = (await t.call('GET', `/api/v1/tenants/${corrTenant}/alerts`)).body.items;
    assert.equal(all.length, 1, 'the base rule (generate: false) made no alert of its own');
    const details = (await t.call('GET', `/api/v1/tenants/${corrTenant}/alerts/${alert.id}`)).body;
    assert.equal(details.events.length, 3);
    assert.deepEqual(details.observables.filter((o: any) => o.type === 'userName').map((o: any) => o.value).sort(), ['victim0', 'victim1', 'victim2']);
  });

  test('collector metrics are in Prometheus', async () => {
    const res = await t.app.http.inject({ method: 'GET', url: '/metrics' });
    assert.match(res.body, new RegExp(`xdrhub_events_received_total\\{collector="${tcp.id}"\\} 5`));
    assert.match(res.body, new RegExp(`xdrhub_events_parse_errors_total\\{collector="${tcp.id}"\\} \\d`));
  });

  test('rule import errors name the rule and the line (400); rules can be disabled and deleted', async () => {
    const broken = `title: Good rule
id: 7b0f8f2e-0000-4000-8000-00000000a003
logsource: {product: linux}
detection:
  sel: {appname: cron}
  condition: sel
---
title: Broken rule
id: 7b0f8f2e-0000-4000-8000-00000000a004
logsource: {product: linux}
detection:
  sel:
    appname|nosuchmodifier: cron
  condition: sel
`;
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/detection-rules`, { yaml: broken, fileName: 'broken.yml' });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /^yaml: rule "Broken rule" line 1[0-9]: /);
    assert.equal(res.body.error.details.field, 'yaml');
    assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/detection-rules`)).body.items.length, 2, 'nothing of a failing file is imported');

    const rules = (await t.call('GET', `/api/v1/tenants/${tenantId}/detection-rules`)).body.items;
    const ssh = rules.find((r: any) => r.title === 'SSH failed password');
    assert.equal((await t.call('PATCH', `/api/v1/tenants/${tenantId}/detection-rules/${ssh.id}`, { enabled: false })).body.enabled, false);
    await sendUdp(udp.listeningPort, sshLine('198.51.100.20'));
    await eventually(t, async () => ((await t.call('GET', `/api/v1/tenants/${tenantId}/events?field=SourceAddress:198.51.100.20`)).body.items.length ? true : undefined), 'the event');
    assert.equal(await alertFor(t, tenantId, '198.51.100.20'), undefined, 'a disabled rule makes no alert');
    assert.equal((await t.call('PATCH', `/api/v1/tenants/${tenantId}/detection-rules/${ssh.id}`, { enabled: true })).status, 200);
    await sendUdp(udp.listeningPort, sshLine('198.51.100.21'));
    assert.ok(await eventually(t, () => alertFor(t, tenantId, '198.51.100.21'), 'the re-enabled rule'));
    assert.equal((await t.call('DELETE', `/api/v1/tenants/${tenantId}/detection-rules/${ssh.id}`)).status, 204);
    assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/detection-rules/${ssh.id}`)).status, 404);
  });

  test('retention deletes events received before the tenant\'s retention, and the job is registered', async () => {
    const events = t.app.services.events;
    assert.equal((await t.call('PUT', `/api/v1/tenants/${tenantId}/event-settings`, { retentionDays: 2 })).body.retentionDays, 2);
    const before = (await t.call('GET', `/api/v1/tenants/${tenantId}/events?limit=1000`)).body.items.length;
    // Three days from now, everything stored so far is older than two days.
    assert.equal(await events.enforceRetention(Date.now() + 1.5 * 86_400_000), 0);
    const deleted = await events.enforceRetention(Date.now() + 3 * 86_400_000);
    assert.equal(deleted, before);
    assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/events`)).body.items.length, 0);
    // The periodic job runs the same deletion on the worker and queues its next run.
    await t.call('PUT', `/api/v1/tenants/${tenantId}/event-settings`, { retentionDays: 1 });
    await t.app.services.events.events.insert([{ id: '00000000-0000-4000-8000-0000000000e1', tenant_id: tenantId, collector_id: udp.id, source_id: 'linux-sshd', time: 0, received_at: Date.now() - 2 * 86_400_000, fields: '{}', original: '{}', raw: null }]);
    const job = await t.app.services.jobs.enqueue('events.retention', {});
    await t.app.startWorker();
    const done = await t.app.services.jobs.waitFor(job.id, 20_000);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result, { deleted: 1 });
    const next = await t.app.services.jobs.list({ kind: 'events.retention' });
    assert.ok(next.items.some((j) => j.status === 'queued'), 'the next run is queued');
  });

  test('cross-tenant: another tenant\'s collector, rule and events are 404 or invisible; its token does not ingest elsewhere', async () => {
    const theirs = (await t.call('POST', `/api/v1/tenants/${otherId}/collectors`, { name: 'theirs', kind: 'http', defaultSource: 'elastic-ecs' })).body;
    const theirRule = (await t.call('POST', `/api/v1/tenants/${otherId}/detection-rules`, { yaml: SSH_RULES })).body.items[0];
    assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/collectors/${theirs.collector.id}`)).status, 404);
    assert.equal((await t.call('PATCH', `/api/v1/tenants/${tenantId}/collectors/${theirs.collector.id}`, { enabled: false })).status, 404);
    assert.equal((await t.call('DELETE', `/api/v1/tenants/${tenantId}/collectors/${theirs.collector.id}`)).status, 404);
    assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/detection-rules/${theirRule.id}`)).status, 404);
    assert.equal((await t.call('DELETE', `/api/v1/tenants/${tenantId}/detection-rules/${theirRule.id}`)).status, 404);
    const res = await t.app.http.inject({ method: 'POST', url: `/api/v1/ingest/${theirs.collector.id}`, headers: { authorization: `Bearer ${theirs.token}` }, payload: { source: { ip: '192.0.2.77' }, user: { name: 'svc_backup' } } });
    assert.equal(res.statusCode, 202);
    assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/events?field=SourceAddress:192.0.2.77`)).body.items.length, 0);
    assert.equal((await t.call('GET', `/api/v1/tenants/${otherId}/events?field=SourceAddress:192.0.2.77`)).body.items.length, 1);
    const wrongToken = await t.app.http.inject({ method: 'POST', url: `/api/v1/ingest/${httpCollector.id}`, headers: { authorization: `Bearer ${theirs.token}` }, payload: {} });
    assert.equal(wrongToken.statusCode, 401);
    // A user of the other tenant sees none of ours.
    const { token } = await t.userWithRole('tenantAdmin', otherId);
    assert.equal((await t.call('GET', `/api/v1/tenants/${tenantId}/collectors`, undefined, token)).status, 404);
    // Deleting the tenant stops its collectors at once, before the purge.
    assert.equal((await t.call('DELETE', `/api/v1/tenants/${otherId}`)).status < 300, true);
    const afterDelete = await t.app.http.inject({ method: 'POST', url: `/api/v1/ingest/${theirs.collector.id}`, headers: { authorization: `Bearer ${theirs.token}` }, payload: {} });
    assert.equal(afterDelete.statusCode, 401);
    // The purge deletes the tenant's collectors, events, rules and settings.
    await t.app.services.tenants.purge([otherId], SYSTEM_ACTOR);
    const db = t.app.services.database.db;
    for (const table of ['event_collectors', 'events', 'detection_rules', 'event_settings']) {
      const row = await db.selectFrom(table).select(db.fn.countAll().as('n')).where('tenant_id', '=', otherId).executeTakeFirstOrThrow();
      assert.equal(Number(row.n), 0, table);
    }
  });

  test('a disabled collector stops listening; a deleted one is gone with its token', async () => {
    const off = await t.call('PATCH', `/api/v1/tenants/${tenantId}/collectors/${udp.id}`, { enabled: false });
    assert.equal(off.body.listeningPort, null);
    assert.equal((await t.call('DELETE', `/api/v1/tenants/${tenantId}/collectors/${httpCollector.id}`)).status, 204);
    const res = await t.app.http.inject({ method: 'POST', url: `/api/v1/ingest/${httpCollector.id}`, headers: { authorization: `Bearer ${httpCollector.token}` }, payload: {} });
    assert.equal(res.statusCode, 401);
  });
});

// Storage and search on every dialect available (PostgreSQL when the test server runs).
for (const { dialect, skip } of await dialectsUnderTest()) {
  describe(`event storage (${dialect})`, { skip }, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(async () => t?.close());

    test('HTTP-ingested events are stored, searched by field and time, and purged by retention', async () => {
      const c = (await t.call('POST', `/api/v1/tenants/${t.rootId}/collectors`, { name: 'h', kind: 'http', defaultSource: 'elastic-ecs' })).body;
      const at = Date.parse('2026-01-02T03:04:05Z');
      const items = Array.from({ length: 30 }, (_, i) => ({ '@timestamp': new Date(at + i * 1000).toISOString(), source: { ip: `10.9.0.${i % 3}`, port: 1000 + i }, user: { name: 'u' } }));
      const res = await t.app.http.inject({ method: 'POST', url: `/api/v1/ingest/${c.collector.id}`, headers: { authorization: `Bearer ${c.token}` }, payload: items });
      assert.deepEqual(JSON.parse(res.body), { accepted: 30, stored: 30, parseErrors: 0, alerts: 0 });
      const byIp = await t.call('GET', `/api/v1/tenants/${t.rootId}/events?field=SourceAddress:10.9.0.1&limit=1000`);
      assert.equal(byIp.body.items.length, 10);
      const byPort = await t.call('GET', `/api/v1/tenants/${t.rootId}/events?field=SourcePort:1005`);
      assert.equal(byPort.body.items.length, 1);
      const range = await t.call('GET', `/api/v1/tenants/${t.rootId}/events?from=2026-01-02T03:04:10Z&to=2026-01-02T03:04:20Z&limit=1000`);
      assert.equal(range.body.items.length, 10);
      assert.equal(range.body.items[0].time, '2026-01-02T03:04:19.000Z', 'newest first');
      assert.equal(await t.app.services.events.enforceRetention(Date.now() + 31 * 86_400_000), 30);
    });
  });
}
