// Events through NATS JetStream (XDRHUB_EVENTS_BUS): raw events published the way a listening
// process does, then stored by 1 and by 2 separate worker processes. Figures: publish EPS (batches
// of 1,000 acknowledged by JetStream) and stored EPS from the first stored event to the last.
// Needs NATS with JetStream at XDRHUB_TEST_NATS_URL (default nats://127.0.0.1:4222); PostgreSQL
// when reachable (several writer processes), else SQLite.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import client from 'prom-client';
import { startTestApp } from '../test/support/app.ts';
import { postgresUnavailable } from '../test/support/db.ts';
import { busTestEnv, deleteBusStreams, natsUnavailable } from '../test/support/nats.ts';
import { busEnv } from '../src/events/bus/config.ts';
import { NatsBus } from '../src/events/bus/nats.ts';
import { BusPublisher } from '../src/events/bus/publisher.ts';
import { BusMetrics } from '../src/events/bus/metrics.ts';
import type { RawEvent } from '../src/events/pipeline/queue.ts';
import type { BenchRow } from './lib.ts';

const SUITE = 'bus';
const TOTAL = 20_000;
const WORKER = fileURLToPath(new URL('../test/fixtures/worker-process.ts', import.meta.url));

async function run(workers: number): Promise<BenchRow[]> {
  const dialect = (await postgresUnavailable()) ? 'sqlite' : 'postgres';
  const env = busTestEnv();
  const t = await startTestApp(dialect, { ...env, XDRHUB_ROLE: 'api' });
  const children: ChildProcess[] = [];
  try {
    const tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Bench' })).body.id;
    const collectorId = (await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'udp', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd' })).body.collector.id;
    const bus = new NatsBus(busEnv(t.env)!, t.app.logger);
    const publisher = new BusPublisher(bus, new BusMetrics(new client.Registry()));
    const at = Date.now();
    const events: RawEvent[] = Array.from({ length: TOTAL }, (_, i) => ({ collectorId, tenantId, sourceIp: '10.0.0.1', raw: `<38>Nov 28 11:10:00 web01 sshd[2301]: Accepted publickey for deploy from 10.1.${i >> 8}.${i & 255} port ${i} ssh2`, receivedAt: at }));
    const pubStart = performance.now();
    for (let i = 0; i < TOTAL; i += 1000) await publisher.process(events.slice(i, i + 1000));
    const publishEps = TOTAL / ((performance.now() - pubStart) / 1000);
    await bus.close();

    const count = async () => Number((await sql<{ n: number }>`select count(*) as n from events where tenant_id = ${tenantId}`.execute(t.app.services.database.db)).rows[0].n);
    for (let i = 0; i < workers; i++) children.push(spawn(process.execPath, ['--import', 'tsx', WORKER], { env: { ...process.env, ...t.env, XDRHUB_ROLE: 'worker' }, stdio: 'ignore' }));
    let first = 0;
    const deadline = Date.now() + 180_000;
    let n = 0;
    while ((n = await count()) < TOTAL && Date.now() < deadline) {
      if (n > 0 && !first) first = performance.now();
      await new Promise((r) => setTimeout(r, 10));
    }
    if (n < TOTAL) throw new Error(`only ${n} of ${TOTAL} stored`);
    const storedEps = TOTAL / ((performance.now() - (first || performance.now())) / 1000);
    const rows: BenchRow[] = [{ suite: SUITE, name: `NATS bus: stored EPS through JetStream, ${workers} worker${workers > 1 ? 's' : ''}`, value: storedEps, unit: 'events/s', note: `${TOTAL} events, ${dialect}, worker processes` }];
    if (workers === 1) rows.unshift({ suite: SUITE, name: 'NATS bus: publish EPS (JetStream-acknowledged batches of 1,000)', value: publishEps, unit: 'events/s', note: `${TOTAL} events` });
    return rows;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await t.close();
    await deleteBusStreams(env.XDRHUB_EVENTS_BUS_STREAM);
  }
}

export default async function bench(): Promise<BenchRow[]> {
  const skip = await natsUnavailable();
  if (skip) return [{ suite: SUITE, name: 'NATS bus', value: NaN, unit: '', note: skip }];
  return [...(await run(1)), ...(await run(2))];
}
