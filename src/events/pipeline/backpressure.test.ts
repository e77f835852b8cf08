// Backpressure of the socket listeners against a small queue: UDP drops and counts, TCP pauses
// reading and loses nothing once the queue drains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import client from 'prom-client';
import { BoundedQueue } from './queue.ts';
import { PipelineMetrics } from './metrics.ts';
import { startListener } from './listeners.ts';
import type { Collector } from '../store/collectors.ts';

const collector = (kind: Collector['kind']): Collector => ({ id: `c-${kind}`, tenantId: 't1', name: kind, kind, port: 0, defaultSource: 'linux-sshd', sourceOverrides: {}, tlsCert: null, file: null, enabled: true, createdAt: 0, updatedAt: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('UDP: a full queue drops datagrams and counts every drop', async () => {
  const queue = new BoundedQueue(10);
  const metrics = new PipelineMetrics(new client.Registry());
  const l = await startListener(collector('syslog-udp'), { queue, metrics, host: '127.0.0.1', wake: () => {} });
  const s = dgram.createSocket('udp4');
  for (let i = 0; i < 50; i++) await new Promise<void>((r) => s.send(`<13>Nov 28 11:10:00 h app: line ${i}\n`, l.port, '127.0.0.1', () => r()));
  s.close();
  for (let i = 0; i < 50 && metrics.of('c-syslog-udp').received < 50; i++) await sleep(10);
  const m = metrics.of('c-syslog-udp');
  assert.equal(queue.size, 10);
  assert.ok(m.received > 10);
  assert.equal(m.dropped, m.received - 10);
  assert.equal(queue.take(1)[0].raw, '<13>Nov 28 11:10:00 h app: line 0', 'trailing newline stripped');
  await l.close();
});

test('TCP: a full queue pauses reading; draining resumes it and every frame arrives in order', async () => {
  const queue = new BoundedQueue(100);
  const metrics = new PipelineMetrics(new client.Registry());
  const l = await startListener(collector('syslog-tcp'), { queue, metrics, host: '127.0.0.1', wake: () => {} });
  const N = 20_000;
  const payload = Array.from({ length: N }, (_, i) => `<13>Nov 28 11:10:00 host app: event number ${i} ${'x'.repeat(60)}`).join('\n') + '\n';
  const sock = net.connect(l.port, '127.0.0.1', () => sock.end(payload));
  await sleep(200);
  const held = queue.size;
  assert.ok(held >= 100 && held < N, `reading paused with ${held} queued`);
  await sleep(100);
  assert.equal(queue.size, held, 'nothing more is read while the queue is full');
  const got: string[] = [];
  for (let i = 0; i < 2000 && got.length < N; i++) {
    got.push(...queue.take(500).map((e) => e.raw));
    await sleep(2);
  }
  assert.equal(got.length, N);
  assert.equal(got[0], '<13>Nov 28 11:10:00 host app: event number 0 ' + 'x'.repeat(60));
  assert.ok(got.every((r, i) => r.includes(`event number ${i} `)));
  assert.equal(metrics.of('c-syslog-tcp').dropped, 0);
  await l.close();
});
