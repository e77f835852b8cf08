// KATA: response actions per second against the simulator over 10 connections (10 Central
// Nodes, one client identity each, approved), and TLS connections opened per 1,000 calls from
// the outbound client's stats: keep-alive reuse must keep it near the number of concurrent callers.
import { Value } from 'typebox/value';
import { createTestCa } from '../test/support/tls.ts';
import { startKataSimulator, type KataSimulator } from '../simulators/kata/index.ts';
import { kataConnector, generateKataIdentity } from '../src/integrations/kata/index.ts';
import type { KataContext } from '../src/integrations/kata/client.ts';
import { createOutboundClient } from '../src/platform/outbound/index.ts';
import { createLogger } from '../src/platform/log/index.ts';
import type { BenchRow } from './lib.ts';

const SUITE = 'kata';
const CONNECTIONS = 10;
const ACTIONS_PER_CONNECTION = 200;
const CONCURRENCY_PER_CONNECTION = 4;
const SENSOR = '5b1e7c2a-0d4f-4c1e-9a51-3f0e2d7c9b10';

export default async function (): Promise<BenchRow[]> {
  const logger = createLogger('silent');
  const http = createOutboundClient({ logger });
  const ca = await createTestCa('bench CA');
  const serverCert = await ca.issue({ cn: 'kata.bench', ips: ['127.0.0.1'] });
  const sims: KataSimulator[] = [];
  try {
    const contexts: KataContext[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const sim = await startKataSimulator({ tls: serverCert, sensors: [{ sensorId: SENSOR, hostName: 'ws-1', ip: '10.0.0.1' }], autoApprove: true });
      sims.push(sim);
      const id = await generateKataIdentity();
      const config = Value.Default(kataConnector.configSchema, { host: '127.0.0.1', port: sim.port, caCertificate: ca.cert, xdrId: id.xdrId, certificatePem: id.certificatePem, certificateFingerprint: id.fingerprintSha256 }) as KataContext['config'];
      contexts.push({ instance: { id: `bench-${i}`, tenantId: 'bench', name: `kata ${i}`, type: 'kata' }, config, secrets: { privateKey: id.privateKeyPem }, logger, http, signal: new AbortController().signal });
    }
    const target = { kind: 'host' as const, value: 'ws-1', attributes: { agentIds: { kata: SENSOR } } };
    // Warm-up: one call per connection (handshakes), not timed.
    await Promise.all(contexts.map((ctx) => kataConnector.actions.enableNetworkIsolation.execute(ctx, target, { timeoutHours: 1, exclusions: [] })));
    const before = http.stats();
    const start = performance.now();
    await Promise.all(
      contexts.flatMap((ctx, c) =>
        Array.from({ length: CONCURRENCY_PER_CONNECTION }, async (_, w) => {
          for (let n = w; n < ACTIONS_PER_CONNECTION; n += CONCURRENCY_PER_CONNECTION) {
            // Alternate isolation on/off: one POST or a GET + DELETE per action.
            if (n % 2 === 0) await kataConnector.actions.enableNetworkIsolation.execute(ctx, target, { timeoutHours: 1 + (n % 24), exclusions: [] });
            else await kataConnector.actions.disableNetworkIsolation.execute(ctx, target, {});
          }
          void c;
        }),
      ),
    );
    const ms = performance.now() - start;
    const after = http.stats();
    const actions = CONNECTIONS * ACTIONS_PER_CONNECTION;
    const calls = after.calls - before.calls;
    const opened = Object.values(after.connectionsByOrigin).reduce((a, b) => a + b, 0) - Object.values(before.connectionsByOrigin).reduce((a, b) => a + b, 0);
    const totalOpened = Object.values(after.connectionsByOrigin).reduce((a, b) => a + b, 0);
    const totalCalls = after.calls;
    return [
      { suite: SUITE, name: `actions per second, ${CONNECTIONS} connections`, value: actions / (ms / 1000), unit: 'actions/s', note: `${actions} isolation on/off actions, ${CONCURRENCY_PER_CONNECTION} concurrent per connection, mutual TLS` },
      { suite: SUITE, name: 'TLS connections opened per 1,000 calls (timed run)', value: (opened / calls) * 1000, unit: 'connections', note: `${opened} opened for ${calls} calls after warm-up` },
      { suite: SUITE, name: 'TLS connections opened per 1,000 calls (incl. warm-up)', value: (totalOpened / totalCalls) * 1000, unit: 'connections', note: `${totalOpened} for ${totalCalls} calls; ${CONNECTIONS} connections × ${CONCURRENCY_PER_CONNECTION} callers = ${CONNECTIONS * CONCURRENCY_PER_CONNECTION} at most needed` },
    ];
  } finally {
    await http.close();
    await Promise.all(sims.map((s) => s.close()));
  }
}
