// The disk buffer: spills when the queue is full, keeps order, survives a restart, holds refused
// batches through a database outage, and is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import client from 'prom-client';
import { BoundedQueue, type RawEvent } from './queue.ts';
import { PipelineMetrics } from './metrics.ts';
import { startListener } from './listeners.ts';
import { DiskSpool } from './spool.ts';
import { SpoolingIntake } from './intake.ts';
import { QueueRunner } from './runner.ts';
import { createLogger } from '../../platform/log/index.ts';
import type { Collector } from '../store/collectors.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-spool-'));
const ev = (i: number): RawEvent => ({ collectorId: 'c', tenantId: 't', sourceIp: '127.0.0.1', raw: `line ${i}`, receivedAt: i });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const silent = createLogger('fatal');

test('UDP with a full queue spills to disk instead of dropping; the spool survives a restart in order', async () => {
  const dir = tmp();
  const queue = new BoundedQueue(10);
  const intake = new SpoolingIntake(queue);
  intake.spool = new DiskSpool(dir, 1024 * 1024);
  const metrics = new PipelineMetrics(new client.Registry());
  const c: Collector = { id: 'c1', tenantId: 't1', name: 'u', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd', sourceOverrides: {}, tlsCert: null, file: null, enabled: true, createdAt: 0, updatedAt: 0 };
  const l = await startListener(c, { queue: intake, metrics, host: '127.0.0.1', wake: () => {} });
  const s = dgram.createSocket('udp4');
  for (let i = 0; i < 50; i++) await new Promise<void>((r) => s.send(`msg ${i}`, l.port, '127.0.0.1', () => r()));
  s.close();
  for (let i = 0; i < 50 && metrics.of('c1').received < 50; i++) await sleep(10);
  await l.close();
  const received = metrics.of('c1').received;
  assert.equal(metrics.of('c1').dropped, 0);
  assert.equal(queue.size, 10);
  intake.spool.flush();
  // A new process on the same directory finds the spilled events, oldest first.
  const again = new DiskSpool(dir, 1024 * 1024);
  const seg = again.readOldest()!;
  assert.equal(seg.events.length, received - 10);
  assert.deepEqual(seg.events.map((e) => Number(e.raw.split(' ')[1])), [...seg.events.map((e) => Number(e.raw.split(' ')[1]))].sort((a, b) => a - b));
  seg.done();
  assert.ok(again.empty);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('a database outage: refused batches go to the spool and are stored once it is back', async () => {
  const queue = new BoundedQueue(1000);
  const metrics = new PipelineMetrics(new client.Registry());
  let down = true;
  const stored: string[] = [];
  const processor = {
    async process(batch: RawEvent[]) {
      if (down) throw new Error('database unavailable');
      stored.push(...batch.map((e) => e.raw));
      return { accepted: batch.length, stored: batch.length, parseErrors: 0, alerts: 0 };
    },
  };
  const runner = new QueueRunner(queue, processor, metrics, silent);
  runner.spool = new DiskSpool(tmp(), 1024 * 1024);
  for (let i = 0; i < 300; i++) queue.offer(ev(i));
  runner.wake();
  await sleep(100);
  assert.equal(stored.length, 0);
  assert.ok(!runner.spool.empty, 'the refused batch is on disk');
  down = false;
  await runner.idle();
  assert.equal(new Set(stored).size, 300, 'every event stored');
  assert.equal(metrics.of('c').dropped, 0);
  await runner.stop();
});

test('the spool is bounded', () => {
  const spool = new DiskSpool(tmp(), 200);
  let taken = 0;
  for (let i = 0; i < 100; i++) if (spool.append(ev(i))) taken++;
  assert.ok(taken > 0 && taken < 100, `took ${taken}`);
  assert.ok(spool.bytes <= 200);
});
