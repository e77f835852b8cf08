// Ingestion product end to end on SQLite: syslog over TCP → collector → normalizer → stored →
// Sigma → alert. Figures: syslog → alert latency p50/p99 at a steady 5,000 EPS (2% of lines
// match a rule, each with a new source address so every match is a new alert), and the stored
// EPS when a sender pushes as fast as the pipeline accepts.
import net from 'node:net';
import { startTestApp, type TestApp } from '../test/support/app.ts';
import { sshFailedRule } from '../test/support/syslog.ts';
import { percentile, type BenchRow } from './lib.ts';

const SUITE = 'ingest';
const RATE = 5000;
const SECONDS = 4;
const MATCH_EVERY = 50;
const RULE = sshFailedRule('bench-ssh-failed');

const ip = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
/** A matching line carries its send time in the user name, so the alert tells its own latency. */
const failed = (n: number, sentAt: number) => `<38>Nov 28 11:10:00 web01 sshd[2301]: Failed password for u${sentAt} from ${ip(n)} port 41520 ssh2`;
const accepted = (n: number) => `<38>Nov 28 11:10:00 web01 sshd[2301]: Accepted publickey for deploy from ${ip(n)} port 41520 ssh2`;

async function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

export default async function (): Promise<BenchRow[]> {
  const t: TestApp = await startTestApp('sqlite');
  try {
    const events = t.app.services.events;
    await events.startCollectors();
    await events.importRules(t.rootId, RULE);
    const { collector } = await events.createCollector(t.rootId, { name: 'bench', kind: 'syslog-tcp', port: 0, defaultSource: 'linux-sshd' });
    const port = collector.listeningPort!;

    // Each alert written reports how long ago its line was sent.
    const latencies: number[] = [];
    const alerts = t.app.services.alerts;
    const create = alerts.createAlerts.bind(alerts);
    alerts.createAlerts = async (tenantId, inputs, actor) => {
      const res = await create(tenantId, inputs, actor);
      const done = Date.now();
      inputs.forEach((inp, i) => {
        const user = String((inp.events?.[0] as Record<string, unknown>)?.DestinationUserName ?? '');
        if (res[i].created && user.startsWith('u')) latencies.push(done - Number(user.slice(1)));
      });
      return res;
    };

    // Steady rate: a batch every 10 ms, catching up on timer lag so the average holds.
    const sock = await connect(port);
    const total = RATE * SECONDS;
    const start = Date.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * RATE));
      const lines: string[] = [];
      for (; sent < due; sent++) lines.push(sent % MATCH_EVERY === 0 ? failed(sent, Date.now()) : accepted(sent));
      if (lines.length) sock.write(lines.join('\n') + '\n');
      await new Promise((r) => setTimeout(r, 10));
    }
    const m = events.metrics.of(collector.id);
    await until(() => m.stored >= total, 30_000);
    await events.idle();
    const steadyStored = m.stored;

    // Flat out: as fast as the listener takes them (TCP backpressure paces the sender).
    const burst = 50_000;
    const before = m.stored;
    const t0 = performance.now();
    const lines = Array.from({ length: burst }, (_, i) => accepted(total + i)).join('\n') + '\n';
    sock.end(lines);
    await until(() => m.stored - before >= burst, 30_000);
    const storedEps = ((m.stored - before) / (performance.now() - t0)) * 1000;

    const note = `SQLite, TCP, ${RATE} EPS for ${SECONDS} s, 1 line in ${MATCH_EVERY} matches (${latencies.length} alerts)`;
    return [
      { suite: SUITE, name: 'syslog → alert latency p50 at 5,000 EPS', value: percentile(latencies, 50), unit: 'ms', note },
      { suite: SUITE, name: 'syslog → alert latency p99 at 5,000 EPS', value: percentile(latencies, 99), unit: 'ms', note },
      { suite: SUITE, name: 'events stored at 5,000 EPS', value: steadyStored, unit: 'events', note: `of ${total} sent; drops ${m.dropped}, parse errors ${m.parseErrors}` },
      { suite: SUITE, name: 'stored EPS, sender flat out', value: storedEps, unit: 'EPS', note: `${burst} events over one TCP connection, batches of 1,000 per transaction` },
    ];
  } finally {
    await t.close();
  }
}
