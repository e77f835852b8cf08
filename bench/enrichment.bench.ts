// Enrichment against the TIP/OpenTIP simulator at 20 ms latency: 500 alerts carrying 10,000
// observables of which 2,000 are distinct. Cold: upstream calls (must equal the distinct
// uncached count) and wall time. Warm: cache-hit throughput and the added latency of a hit at
// the service level (the API route adds Fastify's own, see api.bench.ts).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { SYSTEM_ACTOR } from '../src/platform/actor.ts';
import type { Observable } from '../src/enrichment/index.ts';
import { startKtipSimulator } from '../simulators/ktip/index.ts';
import { median, percentile, type BenchRow } from './lib.ts';

const ALERTS = 500;
const PER_ALERT = 20;
const DISTINCT = 2000;

function distinctObservables(): Observable[] {
  const out: Observable[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    const hex = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
    switch (i % 5) {
      case 0: out.push({ type: 'domain', value: `host${i}.example${i % 7}.com` }); break;
      case 1: out.push({ type: 'url', value: `https://site${i}.example.net/path/${i}?q=${i}&r=a%20b` }); break;
      case 2: out.push({ type: 'ip', value: `198.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }); break;
      case 3: out.push({ type: 'md5', value: hex.repeat(4) }); break;
      default: out.push({ type: 'sha256', value: hex.repeat(8) });
    }
  }
  return out;
}

export default async function (): Promise<BenchRow[]> {
  const suite = 'enrichment';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-bench-enrich-'));
  const env = { XDRHUB_DATA_DIR: dataDir, XDRHUB_MASTER_KEY: randomBytes(32).toString('base64'), XDRHUB_ADMIN_PASSWORD: 'Bench-password-123' };
  const sim = await startKtipSimulator({ latencyMs: 20, quota: 1_000_000 });
  const app = await buildApp(loadConfig(env), { logger: createLogger('silent'), env });
  try {
    const boot = await app.bootstrap();
    const { tenants, integrations, enrichment } = app.services;
    const tenant = await tenants.create({ parentId: boot.rootId, name: 'Bench customer' }, SYSTEM_ACTOR);
    await integrations.create(tenant, { type: 'ktip', name: 'OpenTIP', config: { service: 'openTip', baseUrl: sim.url }, secrets: { token: 'bench-token-123456' } }, SYSTEM_ACTOR);

    const distinct = distinctObservables();
    // Every distinct value appears in five alerts, spread over the run.
    const alerts: Observable[][] = Array.from({ length: ALERTS }, (_, a) => Array.from({ length: PER_ALERT }, (_, j) => distinct[(a * PER_ALERT + j * 97) % DISTINCT]));
    const total = alerts.reduce((n, a) => n + a.length, 0);
    const uniqueInAlerts = new Set(alerts.flat().map((o) => `${o.type}\0${o.value}`)).size;

    // Cold: alerts enriched 25 at a time, like a pool of workers.
    const pool = pLimit(25);
    const calls0 = sim.calls.count;
    let started = performance.now();
    const cold = await Promise.all(alerts.map((obs) => pool(() => enrichment.enrich(tenant.id, obs))));
    const coldMs = performance.now() - started;
    const upstream = sim.calls.count - calls0;
    const failed = cold.flat().filter((r) => r.status !== 'ok').length;
    if (failed) throw new Error(`${failed} observables failed to enrich, e.g. ${JSON.stringify(cold.flat().find((r) => r.status !== 'ok'))}`);

    // Warm: the same alerts again, all from the cache.
    const calls1 = sim.calls.count;
    started = performance.now();
    const warm = await Promise.all(alerts.map((obs) => pool(() => enrichment.enrich(tenant.id, obs))));
    const warmMs = performance.now() - started;
    const hitCalls = sim.calls.count - calls1;
    if (!warm.flat().every((r) => r.cached)) throw new Error('the warm pass was not served from the cache');

    // One alert after another (no concurrency), and an incident-sized batch of 4,000.
    started = performance.now();
    for (const obs of alerts) await enrichment.enrich(tenant.id, obs);
    const sequentialMs = performance.now() - started;
    const incident = alerts.slice(0, 200).flat();
    started = performance.now();
    await enrichment.enrich(tenant.id, incident);
    const incidentMs = performance.now() - started;

    // Added latency of one cache hit (a one-observable call).
    const samples: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const o = distinct[i % DISTINCT];
      const s = performance.now();
      await enrichment.enrich(tenant.id, [o]);
      samples.push(performance.now() - s);
    }

    // Through the API: POST …/alerts/:id/enrich for an alert whose one observable is cached
    // (Fastify inject, bearer token), against GET /healthz as the request-handling baseline.
    const [created] = await app.services.alerts.createAlerts(tenant.id, [{ title: 'Bench enrich', severity: 'low', source: 'bench', observables: [distinct[0] as never] }], SYSTEM_ACTOR);
    const login = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'Bench-password-123' } });
    const cookie = ([] as string[]).concat(login.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
    const issued = await app.http.inject({ method: 'POST', url: '/api/v1/me/tokens', headers: { cookie, 'x-csrf-token': JSON.parse(login.body).csrfToken }, payload: { name: 'bench', expiresInDays: 1 } });
    const auth = { authorization: `Bearer ${JSON.parse(issued.body).token}` };
    const timeApi = async (n: number, call: () => Promise<{ statusCode: number; body: string }>) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const s = performance.now();
        const res = await call();
        out.push(performance.now() - s);
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body.slice(0, 200)}`);
      }
      return out;
    };
    const enrichRoute = () => app.http.inject({ method: 'POST', url: `/api/v1/tenants/${tenant.id}/alerts/${created.id}/enrich`, headers: { ...auth, 'content-type': 'application/json' }, payload: {} });
    const calls2 = sim.calls.count;
    await timeApi(50, enrichRoute); // warm-up
    const apiHits = await timeApi(1000, enrichRoute);
    const healthz = await timeApi(1000, () => app.http.inject({ method: 'GET', url: '/healthz' }));
    if (sim.calls.count !== calls2) throw new Error('the API cache hits reached the service');

    return [
      { suite, name: 'cold: observables / distinct', value: total, unit: 'obs', note: `${uniqueInAlerts} distinct, ${ALERTS} alerts` },
      { suite, name: 'cold: upstream calls', value: upstream, unit: 'calls', note: upstream === uniqueInAlerts ? 'equals the distinct uncached count' : `MISMATCH: expected ${uniqueInAlerts}` },
      { suite, name: 'cold: wall time (20 ms latency)', value: coldMs, unit: 'ms', note: '25 alerts at a time; 16 upstream calls in flight' },
      { suite, name: 'warm: cache-hit throughput', value: total / (warmMs / 1000), unit: 'obs/s', note: `goal ≥ 20,000; upstream calls ${hitCalls}` },
      { suite, name: 'warm: sequential alerts throughput', value: total / (sequentialMs / 1000), unit: 'obs/s', note: 'one alert (20 obs) at a time' },
      { suite, name: 'warm: one 4,000-observable call', value: incident.length / (incidentMs / 1000), unit: 'obs/s' },
      { suite, name: 'cache hit added latency p50', value: median(samples), unit: 'ms', note: 'one observable, service level' },
      { suite, name: 'cache hit added latency p99', value: percentile(samples, 99), unit: 'ms' },
      { suite, name: 'API: POST …/alerts/:id/enrich, one cached observable, p50', value: median(apiHits), unit: 'ms', note: 'Fastify inject, bearer token; includes recording the result on the observables' },
      { suite, name: 'API: POST …/alerts/:id/enrich, one cached observable, p99', value: percentile(apiHits, 99), unit: 'ms', note: `GET /healthz p99 ${percentile(healthz, 99).toFixed(2)} ms; added by the cache hit ≈ ${(percentile(apiHits, 99) - percentile(healthz, 99)).toFixed(2)} ms` },
    ];
  } finally {
    await app.close();
    await sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
