// API latency of the tenant tree at 1,000 tenants and of an integration list, measured through
// Fastify's inject (no network), against /healthz in the same process as the baseline.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { SYSTEM_ACTOR } from '../src/platform/actor.ts';
import { median, percentile, type BenchRow } from './lib.ts';

async function timeRequests(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

export default async function (): Promise<BenchRow[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-bench-api-'));
  const env = { XDRHUB_DATA_DIR: dataDir, XDRHUB_MASTER_KEY: randomBytes(32).toString('base64'), XDRHUB_ADMIN_PASSWORD: 'Bench-password-123' };
  const app = await buildApp(loadConfig(env), { logger: createLogger('silent'), env });
  try {
    const boot = await app.bootstrap();
    const { tenants, access, integrations } = app.services;
    // 10 customers × 10 sites × 9 departments + parents ≈ 1,000 tenants.
    let count = 2;
    for (let a = 0; a < 10; a++) {
      const customer = await tenants.create({ parentId: boot.rootId, name: `Customer ${a}` }, SYSTEM_ACTOR);
      count++;
      for (let b = 0; b < 10; b++) {
        const site = await tenants.create({ parentId: customer.id, name: `Site ${b}` }, SYSTEM_ACTOR);
        count++;
        for (let c = 0; c < 9; c++) {
          await tenants.create({ parentId: site.id, name: `Dept ${c}` }, SYSTEM_ACTOR);
          count++;
        }
      }
    }
    const root = await tenants.root();
    const listTenant = await tenants.create({ parentId: root.id, name: 'Integration list' }, SYSTEM_ACTOR);
    for (let i = 0; i < 50; i++) {
      await integrations.create(listTenant, { type: 'webhook', name: `hook ${i}`, config: { url: `https://h${i}.example.test/` }, secrets: { headerValue: `s${i}` } }, SYSTEM_ACTOR);
    }
    const login = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'Bench-password-123' } });
    const cookie = ([] as string[]).concat(login.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
    const get = (url: string) => app.http.inject({ method: 'GET', url, headers: { cookie } });
    void access;

    await timeRequests(20, () => get('/api/v1/tenants')); // warm-up
    const base = await timeRequests(300, () => get('/healthz'));
    const tree = await timeRequests(100, () => get('/api/v1/tenants'));
    const list = await timeRequests(300, () => get(`/api/v1/tenants/${listTenant.id}/integrations`));
    const suite = 'api';
    return [
      { suite, name: 'GET /healthz p50 (baseline)', value: median(base), unit: 'ms' },
      { suite, name: `tenant tree p50 (${count} tenants)`, value: median(tree), unit: 'ms', note: `${(median(tree) / median(base)).toFixed(0)}× baseline` },
      { suite, name: `tenant tree p99 (${count} tenants)`, value: percentile(tree, 99), unit: 'ms' },
      { suite, name: 'integration list p50 (50 instances)', value: median(list), unit: 'ms', note: `${(median(list) / median(base)).toFixed(0)}× baseline` },
      { suite, name: 'integration list p99 (50 instances)', value: percentile(list, 99), unit: 'ms' },
    ];
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
