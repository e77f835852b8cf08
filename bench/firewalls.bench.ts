// Block 1,000 IPs on each firewall simulator through the real connectors (IntegrationsService.
// runAction, batch action blockIps): upstream requests made and wall time. Check Point must
// publish exactly once for the whole batch. Then 100 single-IP blockIp calls at once on Check
// Point, as the response jobs of one launch make them: the batcher must turn them into one
// session and one publish.
import { randomBytes } from 'node:crypto';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { SYSTEM_ACTOR } from '../src/platform/actor.ts';
import { createTestDatabase } from '../test/support/db.ts';
import { startCheckpointSimulator } from '../simulators/checkpoint/index.ts';
import { startSophosSimulator } from '../simulators/sophos/index.ts';
import { startUsergateSimulator } from '../simulators/usergate/index.ts';
import type { BenchRow } from './lib.ts';

const N = 1000;
const ips = Array.from({ length: N }, (_, i) => (i % 5 ? `198.18.${i >> 8}.${i & 255}` : `2001:db8:2::${i.toString(16)}`));
const sum = (r: Record<string, number>, skip: string[] = []) => Object.entries(r).reduce((n, [k, v]) => (skip.includes(k) ? n : n + v), 0);

export default async function bench(): Promise<BenchRow[]> {
  const db = await createTestDatabase('sqlite');
  const env = { XDRHUB_DATA_DIR: db.dataDir, XDRHUB_MASTER_KEY: randomBytes(32).toString('base64'), XDRHUB_ADMIN_PASSWORD: 'Bench-password-123' };
  const app = await buildApp(loadConfig(env), { logger: createLogger('silent'), database: await db.open(), env });
  const cp = await startCheckpointSimulator({ users: { xdr: 'pw' }, taskMs: 20 });
  const ug = await startUsergateSimulator({ users: { xdr: 'pw' } });
  const so = await startSophosSimulator({ users: { xdr: 'pw' } });
  const rows: BenchRow[] = [];
  try {
    const boot = await app.bootstrap();
    const tenant = await app.services.tenants.create({ parentId: boot.rootId, name: 'Bench' }, SYSTEM_ACTOR);
    const integrations = app.services.integrations;
    const targets: [string, string, () => { requests: number; note: string }][] = [
      ['checkpoint', cp.url, () => ({ requests: sum(cp.requests), note: `${cp.requests.publish ?? 0} publish, ${cp.requests.login ?? 0} login, ${cp.requests['add-host'] ?? 0} add-host` })],
      ['usergate', ug.url, () => ({ requests: sum(ug.requests), note: `${ug.requests['v2.core.login'] ?? 0} login, ${ug.requests['v2.nlists.list.add.items'] ?? 0} add.items calls` })],
      ['sophos', so.url, () => ({ requests: so.requests.http ?? 0, note: `${so.requests['Set add IPHost'] ?? 0} Set IPHost requests (250 hosts each)` })],
    ];
    for (const [type, url, figures] of targets) {
      const inst = await integrations.create(tenant, { type, name: `${type} bench`, config: { address: url, username: 'xdr' }, secrets: { password: 'pw' } }, SYSTEM_ACTOR);
      const start = performance.now();
      await integrations.runAction(tenant.id, inst.id, 'blockIps', { kind: 'none', value: '' }, { ips });
      const ms = performance.now() - start;
      const f = figures();
      rows.push({ suite: 'firewalls', name: `${type}: block ${N} IPs, wall time`, value: ms, unit: 'ms' });
      rows.push({ suite: 'firewalls', name: `${type}: block ${N} IPs, upstream requests`, value: f.requests, unit: 'requests', note: f.note });
    }
    if (cp.requests.publish !== 1) throw new Error(`Check Point published ${cp.requests.publish} times for one batch`);

    const single = await integrations.create(tenant, { type: 'checkpoint', name: 'checkpoint singles', config: { address: cp.url, username: 'xdr' }, secrets: { password: 'pw' } }, SYSTEM_ACTOR);
    cp.reset();
    const publishesBefore = cp.state.publishes;
    const singles = Array.from({ length: 100 }, (_, i) => `198.19.${i >> 8}.${i & 255}`);
    const start = performance.now();
    const results = await Promise.all(singles.map((value) => integrations.runAction(tenant.id, single.id, 'blockIp', { kind: 'observable:ip', value }, {})));
    const ms = performance.now() - start;
    const publishes = cp.state.publishes - publishesBefore;
    if (results.some((r, i) => (r.output?.blocked as string[])?.[0] !== singles[i])) throw new Error('a single-IP call did not get its own result');
    const note = `${cp.requests.login ?? 0} login, ${sum(cp.requests)} requests, ${ms.toFixed(0)} ms wall (one session and one publish per call before batching)`;
    rows.push({ suite: 'firewalls', name: 'checkpoint: 100 single-IP launches at once → publishes', value: publishes, unit: 'publishes', note });
    rows.push({ suite: 'firewalls', name: 'checkpoint: 100 single-IP launches at once, wall time', value: ms, unit: 'ms' });
    if (publishes !== 1) throw new Error(`Check Point published ${publishes} times for 100 concurrent single-IP launches`);
  } finally {
    await app.close();
    await Promise.all([cp.close(), ug.close(), so.close()]);
    await db.drop();
  }
  return rows;
}
