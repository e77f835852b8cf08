// Ideco: block 1,000 IPs on each simulator (NGFW and UTM) as 1,000 concurrent actions, the way
// the response module launches them: upstream requests made and wall time. Redmine: issues
// created per second against the real Debian Redmine (each createIssue does its idempotency
// search first); skipped with a note when Redmine is not installed.
import { createTestCa } from '../test/support/tls.ts';
import { redmineUnavailable, startRedmine } from '../test/support/redmine.ts';
import { startIdecoSimulator } from '../simulators/ideco/index.ts';
import { idecoNgfwConnector, idecoUtmConnector } from '../src/integrations/ideco/index.ts';
import { redmineConnector } from '../src/integrations/redmine/index.ts';
import { createOutboundClient } from '../src/platform/outbound/index.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import type { BenchRow } from './lib.ts';

const SUITE = 'ideco-redmine';
const IPS = 1000;
const ISSUES = 40;

function context<C>(type: string, schema: TSchema, config: Record<string, unknown>, secrets: Record<string, string>, http: ReturnType<typeof createOutboundClient>) {
  return {
    instance: { id: `bench-${type}`, tenantId: 'bench', name: type, type },
    config: Value.Default(schema, structuredClone(config)) as C,
    secrets,
    logger: createLogger('silent'),
    http,
    signal: new AbortController().signal,
  };
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const logger = createLogger('silent');
  const http = createOutboundClient({ logger });
  const ca = await createTestCa('bench CA');
  const leaf = await ca.issue({ cn: 'ideco.bench', ips: ['127.0.0.1'] });
  try {
    for (const [variant, connector] of [['ngfw', idecoNgfwConnector], ['utm', idecoUtmConnector]] as const) {
      const sim = await startIdecoSimulator({ variant, tls: leaf, users: { admin: 'bench-password' } });
      try {
        const ctx = context<any>(connector.type, connector.configSchema, { address: sim.url, caCertificate: ca.cert }, { login: 'admin', password: 'bench-password' }, http);
        const ips = Array.from({ length: IPS }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.9`);
        const start = performance.now();
        // Each call with its own signal, as each response job has.
        await Promise.all(ips.map((value) => connector.actions.blockIp.execute({ ...ctx, signal: new AbortController().signal }, { kind: 'observable:ip', value }, {})));
        const ms = performance.now() - start;
        if (sim.blockedIps('xdrhub blocked IPs').length !== IPS) throw new Error(`${variant}: not every IP was blocked`);
        rows.push({ suite: SUITE, name: `ideco-${variant}: block 1,000 IPs, wall time`, value: ms, unit: 'ms', note: '1,000 concurrent actions, coalesced' });
        rows.push({ suite: SUITE, name: `ideco-${variant}: block 1,000 IPs, upstream requests`, value: sim.requests.length, unit: 'requests', note: variant === 'ngfw' ? 'login, list, rules' : 'one POST per IP object (no bulk create in UTM)' });
      } finally {
        await sim.close();
      }
    }

    const unavailable = redmineUnavailable();
    if (unavailable) {
      rows.push({ suite: SUITE, name: 'redmine (real): issues created', value: NaN, unit: 'issues/s', note: `skipped: ${unavailable.slice(0, 80)}` });
      return rows;
    }
    const rm = await startRedmine();
    try {
      const ctx = context<any>('redmine', redmineConnector.configSchema, { url: rm.url, project: rm.project, customFieldId: rm.customFieldId }, { apiKey: rm.apiKey }, http);
      // One warm-up issue (lookups cache, Rails caches), then the timed ones.
      await redmineConnector.actions.createIssue.execute(ctx, { kind: 'alert', value: 'bench-warm', attributes: { title: 'warm-up', shortId: 'W-1' } }, {});
      const start = performance.now();
      for (let i = 0; i < ISSUES; i++) {
        await redmineConnector.actions.createIssue.execute(ctx, { kind: 'alert', value: `bench-${i}`, attributes: { title: `bench alert ${i}`, severity: 'high', shortId: `B-${i}`, link: 'https://xdrhub.example/a' } }, {});
      }
      const seconds = (performance.now() - start) / 1000;
      rows.push({ suite: SUITE, name: 'redmine (real): issues created', value: ISSUES / seconds, unit: 'issues/s', note: `${ISSUES} sequential createIssue (search + POST), WEBrick + SQLite` });
    } finally {
      await rm.stop();
    }
    return rows;
  } finally {
    await http.close();
  }
}
