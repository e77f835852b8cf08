// Playbook triggers: evaluations per second with real jq (50 playbooks over a batch of alerts),
// and the time from alert creation to the first step of an auto playbook starting, at 200 alerts/s.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { SYSTEM_ACTOR } from '../src/platform/actor.ts';
import { median, percentile, type BenchRow } from './lib.ts';
import type { AlertInput } from '../src/alerts/types.ts';

const alert = (i: number): AlertInput => ({
  title: `Alert ${i}`,
  severity: (['low', 'medium', 'high', 'critical'] as const)[i % 4],
  source: 'bench',
  sourceId: `pb-${i}-${Math.random()}`,
  rules: [`R-${i % 30}`],
  techniques: ['T1110'],
  observables: [{ type: 'ip', value: `10.9.${(i >> 8) & 255}.${i & 255}` }, { type: 'domain', value: `h${i % 50}.example.com` }],
  assets: [{ kind: 'host', name: `ws-${i % 100}`, role: 'victim' }],
});

export default async function (): Promise<BenchRow[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-bench-pb-'));
  const env = { XDRHUB_DATA_DIR: dataDir, XDRHUB_MASTER_KEY: randomBytes(32).toString('base64'), XDRHUB_ADMIN_PASSWORD: 'Bench-password-123', XDRHUB_JOB_POLL_MS: '20' };
  const app = await buildApp(loadConfig(env), { logger: createLogger('silent'), env });
  const rows: BenchRow[] = [];
  const suite = 'playbooks';
  try {
    const boot = await app.bootstrap();
    const { tenants, alerts, playbooks, triggers } = app.services;
    const tenant = await tenants.create({ parentId: boot.rootId, name: 'Bench' }, SYSTEM_ACTOR);

    // 1. Trigger throughput: 50 playbooks, triggers of the shapes SOC rules use, none matching.
    const created = [];
    for (let p = 0; p < 50; p++) {
      const trigger = [
        `.severity == "critical" and (.rules | index("R-${p}-none")) != null`,
        `(.observables | any(.type == "ip" and (.value | startswith("172.31.${p}."))))`,
        `.title | test("ransom${p}"; "i")`,
        `(.assets | map(select(.role == "attacker")) | length) > ${p + 5}`,
        `.techniques | index("T9${p}") != null`,
      ][p % 5];
      created.push(await playbooks.create(tenant, { name: `PB ${p}`, scope: 'alert', mode: 'auto', trigger, steps: [{ id: 's', kind: 'updateData', update: { comment: 'x' } }] }, SYSTEM_ACTOR));
    }
    const ids = (await alerts.createAlerts(tenant.id, Array.from({ length: 1000 }, (_, i) => alert(i)), SYSTEM_ACTOR)).map((r) => r.id);
    await triggers.drain();
    const items = await alerts.getMany(tenant.id, ids);
    const pbs = await playbooks.applicable(tenant.id, 'alert');
    const timed = async (fn: () => Promise<unknown>) => {
      const before = triggers.evaluations;
      const start = performance.now();
      await fn();
      return (triggers.evaluations - before) / ((performance.now() - start) / 1000);
    };
    const all = [];
    for (let r = 0; r < 3; r++) all.push(await timed(() => triggers.evaluateAll(pbs, tenant.id, items)));
    const perPlaybook = await timed(async () => {
      for (const pb of pbs) await triggers.evaluatePlaybook(pb, tenant.id, items);
    });
    rows.push({ suite, name: `trigger evaluations (${pbs.length} playbooks × ${items.length} alerts, one jq run)`, value: median(all), unit: 'evals/s', note: 'median of 3; real jq in one worker thread; goal ≥ 20,000/s' });
    rows.push({ suite, name: 'baseline: one jq run per playbook', value: perPlaybook, unit: 'evals/s', note: `${(median(all) / perPlaybook).toFixed(1)}× slower than one run for all` });
    const single = performance.now();
    for (let i = 0; i < 50; i++) await triggers.evaluatePlaybook(pbs[0], tenant.id, [items[i]]);
    rows.push({ suite, name: 'baseline: one alert per jq run', value: 50 / ((performance.now() - single) / 1000), unit: 'evals/s', note: 'why triggers are evaluated in batches' });
    for (const pb of created) await playbooks.setEnabled(tenant, pb.id, false, SYSTEM_ACTOR);

    // 2. Alert → first step started, at 200 alerts/s for 5 s, with one matching auto playbook.
    await app.startWorker();
    const live = await playbooks.create(tenant, { name: 'Live', scope: 'alert', mode: 'auto', trigger: '.title | startswith("Live")', steps: [{ id: 'first', kind: 'updateData', update: { additionalData: { touched: true } } }] }, SYSTEM_ACTOR);
    const total = 1000;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      await alerts.createAlerts(tenant.id, [{ ...alert(i), title: `Live ${i}` }], SYSTEM_ACTOR);
      const due = t0 + ((i + 1) * 1000) / 200;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const db = app.services.database.db;
    const deadline = Date.now() + 120_000;
    let done = 0;
    while (Date.now() < deadline) {
      done = Number((await sql<{ n: number }>`select count(*) as n from playbook_run_steps s join playbook_runs r on r.id = s.run_id where r.playbook_id = ${live.id}`.execute(db)).rows[0].n);
      if (done >= total) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const latencies = (
      await sql<{ ms: number }>`select s.started_at - a.created_at as ms from playbook_run_steps s join playbook_runs r on r.id = s.run_id join alerts a on a.id = r.item_id where r.playbook_id = ${live.id}`.execute(db)
    ).rows.map((r) => Number(r.ms));
    const rate = total / ((performance.now() - t0) / 1000);
    rows.push(
      { suite, name: 'alert → first step started, p50', value: median(latencies), unit: 'ms', note: `${latencies.length}/${total} runs, offered ~200 alerts/s (achieved ${rate.toFixed(0)}/s over the whole run)` },
      { suite, name: 'alert → first step started, p99', value: percentile(latencies, 99), unit: 'ms', note: 'goal p99 < 1,000 ms' },
    );
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
