// Events scale-out through NATS JetStream (XDRHUB_EVENTS_BUS): a listening process publishes raw
// events to the stream, separate worker processes store them and raise alerts; a worker killed
// mid-stream loses nothing and stores nothing twice. Each suite uses its own stream and deletes it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { startTestApp, type TestApp } from './support/app.ts';
import { dialectsUnderTest } from './support/db.ts';
import { NATS_URL, busTestEnv, consumerInfo, deleteBusStreams, kvText, natsServerPath, natsUnavailable } from './support/nats.ts';
import { freePort } from './support/proxy.ts';
import { sendTcp, sendUdp, sshFailedRule, sshLine } from './support/syslog.ts';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { busEnv } from '../src/events/bus/config.ts';
import { eventsEnv } from '../src/events/service.ts';
import { NatsBus } from '../src/events/bus/nats.ts';
import { BusPublisher } from '../src/events/bus/publisher.ts';
import { BusMetrics } from '../src/events/bus/metrics.ts';
import client from 'prom-client';
import type { RawEvent } from '../src/events/pipeline/queue.ts';
import type { CorrelationFeed } from '../src/events/pipeline/processor.ts';
import { matchKey, publishMatches } from '../src/events/bus/matches.ts';
import { connect, JSONCodec } from 'nats';

const SSH_RULE = sshFailedRule('7b0f8f2e-0000-4000-8000-00000000b001');

async function waitFor<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function eventCounts(t: TestApp, tenantId: string): Promise<{ rows: number; distinctRaw: number }> {
  const r = await sql<{ rows: number; distinct_raw: number }>`select count(*) as rows, count(distinct raw) as distinct_raw from events where tenant_id = ${tenantId}`.execute(t.app.services.database.db);
  return { rows: Number(r.rows[0].rows), distinctRaw: Number(r.rows[0].distinct_raw) };
}

/** A worker-role app in this process over the test app's database (its own connection). */
async function workerApp(t: TestApp): Promise<App> {
  const env = { ...t.env, XDRHUB_ROLE: 'worker' };
  const app = await buildApp(loadConfig(env), { logger: createLogger('silent'), database: await t.testDb.open(), env });
  await app.startWorker();
  return app;
}

describe('events bus configuration', () => {
  test('XDRHUB_EVENTS_BUS accepts nats:// URLs only, with a message naming the variable and no password in it', () => {
    assert.equal(busEnv({}), null, 'unset = embedded pipeline');
    assert.equal(eventsEnv({}).bus, null);
    assert.deepEqual(busEnv({ XDRHUB_EVENTS_BUS: 'nats://10.0.0.1:4222,nats://nats-2' })?.servers, ['nats://10.0.0.1:4222', 'nats://nats-2:4222']);
    for (const bad of ['redis://127.0.0.1:6379', '127.0.0.1:4222', 'nats://', 'nats://h:4222/x', 'nats://h:4222?x=1', 'nats://h:99999', 'nats://u:s3cret@h:4222,kafka://k']) {
      assert.throws(
        () => eventsEnv({ XDRHUB_EVENTS_BUS: bad }),
        (err: Error) => {
          assert.match(err.message, /^XDRHUB_EVENTS_BUS must be nats:\/\/host:port/);
          assert.doesNotMatch(err.message, /s3cret/);
          return true;
        },
        bad,
      );
    }
    assert.throws(() => busEnv({ XDRHUB_EVENTS_BUS: 'nats://h', XDRHUB_EVENTS_BUS_STREAM: 'a.b' }), /XDRHUB_EVENTS_BUS_STREAM must be/);
    assert.throws(() => busEnv({ XDRHUB_EVENTS_BUS: 'nats://h', XDRHUB_EVENTS_BUS_ACK_WAIT_SECONDS: '0' }), /XDRHUB_EVENTS_BUS_ACK_WAIT_SECONDS must be an integer/);
    const withCreds = busEnv({ XDRHUB_EVENTS_BUS: 'nats://xdr:p%40ss@h:4222' })!;
    assert.deepEqual([withCreds.servers, withCreds.user, withCreds.pass], [['nats://h:4222'], 'xdr', 'p@ss']);
  });
});

const natsSkip = (await natsUnavailable()) ?? false;

for (const { dialect, skip } of await dialectsUnderTest()) {
  describe(`events through the NATS JetStream bus, end to end (${dialect})`, { skip: natsSkip || skip }, () => {
    let t: TestApp;
    let worker: App;
    let tenantId: string;
    let udp: any;
    let tcp: any;
    const env = busTestEnv();

    before(async () => {
      // The listening app runs the API role: it publishes, and never stores a syslog event itself.
      t = await startTestApp(dialect, { ...env, XDRHUB_ROLE: 'api' });
      worker = await workerApp(t);
      tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Bus customer' })).body.id;
      const imported = await t.app.http.inject({ method: 'POST', url: `/api/v1/tenants/${tenantId}/detection-rules`, headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/yaml' }, payload: SSH_RULE });
      assert.equal(imported.statusCode, 201, imported.body);
      await t.app.services.events.startCollectors();
      udp = (await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'udp', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd' })).body.collector;
      tcp = (await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'tcp', kind: 'syslog-tcp', port: 0, defaultSource: 'cisco-asa', sourceOverrides: { '127.0.0.1': 'linux-sshd' } })).body.collector;
      assert.ok(udp.listeningPort > 0 && tcp.listeningPort > 0);
    });
    after(async () => {
      await worker?.close();
      await t?.close();
      await deleteBusStreams(env.XDRHUB_EVENTS_BUS_STREAM);
    });

    const alertFor = async (ip: string) => {
      await t.app.services.events.idle(); // published
      const list = await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?observable=${ip}`);
      return list.body.items[0];
    };

    const assertAlert = async (alert: any, ip: string) => {
      assert.equal(alert.title, 'SSH failed password');
      assert.equal(alert.source, 'sigma');
      assert.deepEqual(alert.techniques, ['T1110.001']);
      const details = (await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${alert.id}`)).body;
      assert.deepEqual(details.observables.map((o: any) => `${o.type}:${o.value}`).sort(), [`ip:${ip}`, 'userName:root']);
      assert.equal(details.events[0].SourceAddress, ip);
    };

    test('a syslog line over UDP is published, stored by the worker process and becomes an alert with its observables', async () => {
      await sendUdp(udp.listeningPort, sshLine('198.51.100.21'));
      const alert = await waitFor(() => alertFor('198.51.100.21'), 'the UDP alert');
      await assertAlert(alert, '198.51.100.21');
      // Stored by the worker app, not by the listening one.
      assert.equal(worker.services.events.metrics.of(udp.id).stored, 1);
      assert.equal(t.app.services.events.metrics.of(udp.id).stored, 0);
      assert.equal(t.app.services.events.metrics.of(udp.id).received, 1);
    });

    test('a syslog line over TCP (per-source-IP normalizer) becomes an alert through the bus; the bus metrics are exported', async () => {
      await sendTcp(tcp.listeningPort, `${sshLine('198.51.100.22')}\n`);
      const alert = await waitFor(() => alertFor('198.51.100.22'), 'the TCP alert');
      await assertAlert(alert, '198.51.100.22');
      const stored = await t.call('GET', `/api/v1/tenants/${tenantId}/events?field=SourceAddress:198.51.100.22`);
      assert.equal(stored.body.items[0].sourceId, 'linux-sshd');
      const published = await t.app.http.metricsRegistry.getSingleMetricAsString('xdrhub_events_bus_published_total');
      assert.match(published, /xdrhub_events_bus_published_total [2-9]/);
      const consumed = await worker.http.metricsRegistry.getSingleMetricAsString('xdrhub_events_bus_consumed_total');
      assert.match(consumed, /xdrhub_events_bus_consumed_total [2-9]/);
    });

    test('rules imported through the API process reach the worker without a restart', async () => {
      const rule = SSH_RULE.replace('b001', 'b002').replace('SSH failed password', 'SSH failure for svc_backup').replace("message|startswith: 'Failed password'", 'user: svc_backup');
      const imported = await t.app.http.inject({ method: 'POST', url: `/api/v1/tenants/${tenantId}/detection-rules`, headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/yaml' }, payload: rule });
      assert.equal(imported.statusCode, 201, imported.body);
      // The worker re-reads a tenant's rules when their version moved (checked every few seconds).
      const title = await waitFor(
        async () => {
          await sendUdp(udp.listeningPort, sshLine('198.51.100.23', 'svc_backup'));
          await new Promise((r) => setTimeout(r, 500));
          const list = (await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?observable=198.51.100.23`)).body.items;
          return list.find((a: any) => a.title === 'SSH failure for svc_backup')?.title;
        },
        'the new rule on the worker',
        20_000,
      );
      assert.equal(title, 'SSH failure for svc_backup');
    });
  });
}

describe('events bus: a worker killed mid-stream', { skip: natsSkip }, () => {
  const TOTAL = 5000;
  let t: TestApp;
  let tenantId: string;
  let collectorId: string;
  const children: ChildProcess[] = [];
  // Short ack wait so the killed worker's events come back within the test; small batches so the kill lands mid-stream.
  const env = busTestEnv({ XDRHUB_EVENTS_BUS_ACK_WAIT_SECONDS: '2', XDRHUB_EVENTS_BUS_BATCH: '50' });

  before(async () => {
    const pg = (await dialectsUnderTest()).find((d) => d.dialect === 'postgres' && !d.skip);
    t = await startTestApp(pg ? 'postgres' : 'sqlite', { ...env, XDRHUB_ROLE: 'api' });
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Crash customer' })).body.id;
    collectorId = (await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'udp', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd' })).body.collector.id;
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await t?.close();
    await deleteBusStreams(env.XDRHUB_EVENTS_BUS_STREAM);
  });

  const spawnWorker = (): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url))], { env: { ...process.env, ...t.env, XDRHUB_ROLE: 'worker' }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };

  test(`${TOTAL} events: SIGKILL of the worker mid-stream, a second worker stores every event exactly once`, async (ctx) => {
    // Published the way a listening process does (same publisher, same ids, same acknowledgements).
    const config = busEnv(t.env)!;
    const bus = new NatsBus(config, t.app.logger);
    const publisher = new BusPublisher(bus, new BusMetrics(new client.Registry()));
    const at = Date.now();
    const events: RawEvent[] = Array.from({ length: TOTAL }, (_, i) => ({ collectorId, tenantId, sourceIp: '127.0.0.1', raw: sshLine(`10.9.${i >> 8}.${i & 255}`, `u${i}`, 10_000 + i), receivedAt: at }));
    for (let i = 0; i < TOTAL; i += 1000) await publisher.process(events.slice(i, i + 1000));
    await bus.close();

    const first = spawnWorker();
    const atKill = await waitFor(async () => {
      const c = await eventCounts(t, tenantId);
      return c.rows >= 100 ? c : undefined;
    }, 'the first worker to store some events', 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const afterKill = await eventCounts(t, tenantId);
    assert.ok(afterKill.rows < TOTAL, `the worker was killed mid-stream (${afterKill.rows} of ${TOTAL} stored; first seen ${atKill.rows})`);
    const held = await consumerInfo(config.stream, 'xdrhub-workers');
    assert.ok(held.num_ack_pending + held.num_pending > 0, 'events were left in the stream or unacknowledged by the dead worker');

    ctx.diagnostic(`killed with ${afterKill.rows} of ${TOTAL} stored; ${held.num_ack_pending} delivered and unacknowledged, ${held.num_pending} not yet delivered`);
    spawnWorker();
    await waitFor(async () => {
      const c = await eventCounts(t, tenantId);
      const info = await consumerInfo(config.stream, 'xdrhub-workers');
      return c.rows >= TOTAL && info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    }, 'the second worker to store the rest', 90_000);
    // Past another acknowledgement deadline nothing more arrives: no late duplicate.
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(await eventCounts(t, tenantId), { rows: TOTAL, distinctRaw: TOTAL });
  });
});

describe('events bus: NATS down at first, then started', { skip: natsSkip || (natsServerPath ? false : 'nats-server is not installed: apt-get install -y nats-server') }, () => {
  let t: TestApp;
  let worker: App;
  let server: ChildProcess | null = null;
  let dir: string;

  after(async () => {
    await worker?.close();
    await t?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('syslog received while NATS is unreachable waits in the disk spool and is stored once NATS is up', async () => {
    // A private server on a free port, started only after the events were sent.
    const port = await freePort();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-nats-'));
    t = await startTestApp('sqlite', { ...busTestEnv(), XDRHUB_EVENTS_BUS: `nats://127.0.0.1:${port}`, XDRHUB_ROLE: 'api' });
    worker = await workerApp(t);
    const tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Outage customer' })).body.id;
    await t.app.services.events.startCollectors();
    const udp = (await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'udp', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd' })).body.collector;
    for (let i = 0; i < 20; i++) await sendUdp(udp.listeningPort, sshLine('192.0.2.50', `user${i}`));
    const spool = path.join(t.testDb.dataDir, 'event-spool');
    await waitFor(async () => (fs.existsSync(spool) && fs.readdirSync(spool).some((f) => fs.statSync(path.join(spool, f)).size > 0) ? true : undefined), 'the refused batch in the spool', 15_000);
    assert.equal(t.app.services.events.metrics.of(udp.id).dropped, 0);

    server = spawn(natsServerPath!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
    const stored = await waitFor(async () => {
      const c = await eventCounts(t, tenantId);
      return c.rows >= 20 ? c : undefined;
    }, 'the spooled events stored by the worker', 60_000);
    assert.deepEqual(stored, { rows: 20, distinctRaw: 20 });
    await t.app.services.events.idle();
    assert.deepEqual(fs.readdirSync(spool).filter((f) => f.endsWith('.jsonl')), [], 'the spool is empty once published');
  });
});

// Correlation on the bus: workers evaluate base rules in parallel and forward the matches that feed a
// correlation to one correlator (the holder of a KV lease), which snapshots its windows to KV.
const CORR_BASE_ID = '7b0f8f2e-0000-4000-8000-00000000c001';
const CORR_ID = '7b0f8f2e-0000-4000-8000-00000000c002';
const CORR_TITLE = 'SSH brute force from one source';
// The base rule feeds the correlation only (generate defaults to false): every alert counted here is a correlation alert.
const CORRELATION_RULES = `${sshFailedRule(CORR_BASE_ID)}---
title: ${CORR_TITLE}
id: ${CORR_ID}
level: critical
tags: [attack.credential_access, attack.t1110]
correlation:
  type: event_count
  rules: [${CORR_BASE_ID}]
  group-by: [src]
  timespan: 5m
  condition:
    gte: 5
`;
// Short lease and snapshot interval so failovers happen within the test; batches of one spread events over workers.
const correlationEnv = () => busTestEnv({ XDRHUB_EVENTS_BUS_LEASE_SECONDS: '2', XDRHUB_EVENTS_BUS_SNAPSHOT_SECONDS: '1', XDRHUB_EVENTS_BUS_BATCH: '1', XDRHUB_EVENTS_BUS_ACK_WAIT_SECONDS: '2' });

async function correlationAlerts(t: TestApp, tenantId: string): Promise<any[]> {
  const items = (await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?limit=100`)).body.items as any[];
  return items.filter((a) => a.title === CORR_TITLE);
}

/** Correlation alerts (with details) whose observables hold `ip`. */
async function correlationAlertsFor(t: TestApp, tenantId: string, ip: string): Promise<any[]> {
  const out = [];
  for (const a of await correlationAlerts(t, tenantId)) {
    const d = (await t.call('GET', `/api/v1/tenants/${tenantId}/alerts/${a.id}`)).body;
    if (d.observables.some((o: any) => o.type === 'ip' && o.value === ip)) out.push(d);
  }
  return out;
}

async function importCorrelation(t: TestApp, tenantId: string): Promise<void> {
  const imported = await t.app.http.inject({ method: 'POST', url: `/api/v1/tenants/${tenantId}/detection-rules`, headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/yaml' }, payload: CORRELATION_RULES });
  assert.equal(imported.statusCode, 201, imported.body);
}

/** Events counted in the tenant's last snapshot. */
async function snapshotCount(stream: string, tenantId: string): Promise<number> {
  const text = await kvText(`xdrhub_correlation_${stream}`, `t.${tenantId}`);
  if (!text) return 0;
  const snap = JSON.parse(text) as { c: Record<string, Array<[string, unknown[]]>> };
  return Object.values(snap.c).flat().reduce((n, [, entries]) => n + entries.length, 0);
}

/** Matches the correlator has not acknowledged yet (held for the next snapshot, or not yet delivered). */
async function matchesOutstanding(stream: string): Promise<number> {
  const info = await consumerInfo(`${stream}_MATCHES`, 'xdrhub-correlator');
  return info.num_pending + info.num_ack_pending;
}

describe('events bus: correlation across workers (one correlator, KV lease and snapshots)', { skip: natsSkip }, () => {
  let t: TestApp;
  let tenantId: string;
  let collectorPort: number;
  let collectorId: string;
  const workers: App[] = [];
  const children: ChildProcess[] = [];
  const env = correlationEnv();

  before(async () => {
    const pg = (await dialectsUnderTest()).find((d) => d.dialect === 'postgres' && !d.skip);
    t = await startTestApp(pg ? 'postgres' : 'sqlite', { ...env, XDRHUB_ROLE: 'api' });
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Correlation customer' })).body.id;
    await importCorrelation(t, tenantId);
    await t.app.services.events.startCollectors();
    const udp = (await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'udp', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd' })).body.collector;
    [collectorPort, collectorId] = [udp.listeningPort, udp.id];
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const w of workers) await w.close();
    await t?.close();
    await deleteBusStreams(env.XDRHUB_EVENTS_BUS_STREAM);
  });

  const storedRows = async () => (await eventCounts(t, tenantId)).rows;
  /** Sends one line and waits until a worker stored it, so consecutive lines go to whichever worker pulls next. */
  const sendStored = async (ip: string, port: number) => {
    const before = await storedRows();
    await sendUdp(collectorPort, sshLine(ip, 'root', port));
    await waitFor(async () => ((await storedRows()) > before ? true : undefined), `event ${ip}:${port} stored`);
  };

  test('(a) 5 failures from one source spread over two workers make exactly one correlation alert', async () => {
    workers.push(await workerApp(t), await workerApp(t));
    await waitFor(async () => (workers.some((w) => w.services.events.correlatorLeader) ? true : undefined), 'a correlator leader');
    // Different sources interleaved, so neither worker can see all of one source's events by chance of order.
    for (let i = 0; i < 5; i++) {
      await sendStored('203.0.113.10', 50_000 + i);
      await sendStored('203.0.113.11', 51_000 + i);
    }
    const stored = workers.map((w) => w.services.events.metrics.of(collectorId).stored);
    assert.ok(stored.every((n) => n > 0), `both workers stored some of the events (${stored.join(' / ')})`);
    assert.equal(workers.filter((w) => w.services.events.correlatorLeader).length, 1, 'exactly one correlator');
    const alerts = await waitFor(async () => {
      const list = await correlationAlerts(t, tenantId);
      return list.length >= 2 ? list : undefined;
    }, 'the correlation alerts');
    await waitFor(async () => ((await matchesOutstanding(env.XDRHUB_EVENTS_BUS_STREAM)) === 0 ? true : undefined), 'every match acknowledged');
    assert.equal(alerts.length, 2);
    for (const ip of ['203.0.113.10', '203.0.113.11']) {
      const mine = await correlationAlertsFor(t, tenantId, ip);
      assert.equal(mine.length, 1, `exactly one correlation alert for ${ip}`);
      assert.equal(mine[0].severity, 'critical');
      assert.equal(mine[0].events.length, 5);
    }
    for (const w of workers.splice(0)) await w.close();
  });

  test('(b) the correlator is killed mid-window: another worker takes over after the lease and continues from the snapshot', async () => {
    const spawnWorker = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url))], { env: { ...process.env, ...t.env, XDRHUB_ROLE: 'worker' }, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      return child;
    };
    const [a, b] = [spawnWorker(), spawnWorker()];
    const holder = async () => {
      const text = await kvText(`xdrhub_lease_${env.XDRHUB_EVENTS_BUS_STREAM}`, 'correlator');
      return text ? (JSON.parse(text).pid as number) : undefined;
    };
    const leaderPid = await waitFor(async () => {
      const pid = await holder();
      return pid === a.pid || pid === b.pid ? pid : undefined;
    }, 'one of the worker processes to lead', 60_000);
    const [leader, standby] = leaderPid === a.pid ? [a, b] : [b, a];
    for (let i = 0; i < 3; i++) await sendStored('203.0.113.20', 52_000 + i);
    // The window is in the KV bucket (and so every match acknowledged) before the crash.
    // Acknowledged too: after the crash only the snapshot can bring these 3 back, not a redelivery.
    await waitFor(async () => ((await snapshotCount(env.XDRHUB_EVENTS_BUS_STREAM, tenantId)) >= 3 && (await matchesOutstanding(env.XDRHUB_EVENTS_BUS_STREAM)) === 0 ? true : undefined), 'the 3 matches in the snapshot and acknowledged');
    leader.kill('SIGKILL');
    await new Promise((r) => leader.once('exit', r));
    const killedAt = Date.now();
    for (let i = 3; i < 5; i++) await sendStored('203.0.113.20', 52_000 + i);
    await waitFor(async () => ((await holder()) === standby.pid ? true : undefined), 'the standby to take the lease', 30_000);
    const tookOver = Date.now() - killedAt;
    await waitFor(async () => ((await correlationAlertsFor(t, tenantId, '203.0.113.20')).length ? true : undefined), 'the correlation alert after the failover', 30_000);
    await waitFor(async () => ((await matchesOutstanding(env.XDRHUB_EVENTS_BUS_STREAM)) === 0 ? true : undefined), 'every match acknowledged');
    const alerts = await correlationAlertsFor(t, tenantId, '203.0.113.20');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].events.length, 5, '3 events from the snapshot + 2 after the failover');
    assert.ok(tookOver < 15_000, `took over within the lease (${tookOver} ms)`);
    // Not released: (c) takes the lease after it expires.
    standby.kill('SIGKILL');
    await new Promise((r) => standby.once('exit', r));
  });

  test('(c) redelivered matches are counted once', async () => {
    const w = await workerApp(t);
    workers.push(w);
    await waitFor(async () => (w.services.events.correlatorLeader ? true : undefined), 'the worker to lead', 30_000);
    const config = busEnv(t.env)!;
    const bus = new NatsBus(config, t.app.logger);
    const ip = '203.0.113.30';
    const feed = (i: number): CorrelationFeed => ({
      tenantId,
      eventId: `00000000-0000-4000-8000-0000000000${10 + i}`,
      time: Date.parse('2026-11-28T11:10:00Z') + i * 1000,
      match: { ruleId: CORR_BASE_ID, title: 'SSH failed password', level: 'high', tags: [], techniques: [], tactics: [], logsource: { product: 'linux', service: 'sshd' }, event: { src: ip, appname: 'sshd' } },
      normalized: { SourceAddress: ip, DestinationUserName: `u${i}` },
    });
    const nc = await connect({ servers: NATS_URL });
    try {
      const four = [0, 1, 2, 3].map(feed);
      await publishMatches(bus, four);
      // Republished with the same message ids (a worker's batch retried): dropped by JetStream.
      await publishMatches(bus, four);
      // Delivered again under new message ids (as after JetStream's duplicate window): dropped by the window's id check.
      const js = nc.jetstream();
      for (const f of four) await js.publish(bus.matchSubject(tenantId), JSONCodec().encode(f), { msgID: `${matchKey(f.eventId, f.match.ruleId)}-again` });
      await waitFor(async () => ((await matchesOutstanding(config.stream)) === 0 ? true : undefined), 'the correlator to take and acknowledge the 12 messages');
      assert.equal((await correlationAlertsFor(t, tenantId, ip)).length, 0, '4 distinct matches are below the threshold of 5');
      assert.equal(await snapshotCount(config.stream, tenantId), 4);
      await publishMatches(bus, [feed(4)]);
      await waitFor(async () => ((await correlationAlertsFor(t, tenantId, ip)).length ? true : undefined), 'the alert at the fifth distinct match');
      await waitFor(async () => ((await matchesOutstanding(config.stream)) === 0 ? true : undefined), 'the fifth match acknowledged');
      const alerts = await correlationAlertsFor(t, tenantId, ip);
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0].events.length, 5);
    } finally {
      await nc.close();
      await bus.close();
    }
  });
});
