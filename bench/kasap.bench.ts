// KASAP training reports for 1,000 accounts against simulators/kasap over HTTPS with 5 ms of
// simulated latency per call: batched (REPORT_BATCH e-mails per POST /openapi/v1/report)
// versus one call per account, through the connector's client and the outbound client.
import { createTestCa } from '../test/support/tls.ts';
import { startKasapSimulator } from '../simulators/kasap/index.ts';
import { KasapClient, REPORT_BATCH } from '../src/integrations/kasap/client.ts';
import { createOutboundClient } from '../src/platform/outbound/index.ts';
import { createLogger } from '../src/platform/log/index.ts';
import type { BenchRow } from './lib.ts';

const SUITE = 'kasap';
const ACCOUNTS = 1_000;
const LATENCY_MS = 5;

export default async function (): Promise<BenchRow[]> {
  const ca = await createTestCa();
  const sim = await startKasapSimulator({ tls: await ca.issue({ cn: 'localhost', dns: ['localhost'] }), latencyMs: LATENCY_MS });
  const logger = createLogger('silent');
  const http = createOutboundClient({ logger });
  try {
    sim.addToken('bench-token-123456');
    const emails = Array.from({ length: ACCOUNTS }, (_, i) => `user${i}@corp.example`);
    for (const [i, email] of emails.entries()) if (i % 10 !== 0) sim.addUser({ email, groupId: 'grp-beginners', courses: [{ courseId: 'c-email', status: 'inProgress', progress: i % 100 }] });
    const client = new KasapClient({
      instance: { id: 'bench-kasap', tenantId: 'bench', name: 'KASAP', type: 'kasap' },
      config: { openapiUrl: sim.url, adminEmail: 'admin@corp.example', caCertificate: ca.cert, timeoutSeconds: 20, proxy: false },
      secrets: { token: 'bench-token-123456' },
      logger,
      http,
      signal: new AbortController().signal,
    });
    await client.groups(); // warm the connection

    let calls = sim.calls.length;
    let start = performance.now();
    const batched = await client.report(emails);
    const batchedMs = performance.now() - start;
    const batchedCalls = sim.calls.length - calls;
    if ([...batched.values()].filter(Boolean).length !== 900) throw new Error('batched report lost users');

    calls = sim.calls.length;
    start = performance.now();
    for (const e of emails) await client.report([e]);
    const singleMs = performance.now() - start;
    const singleCalls = sim.calls.length - calls;

    return [
      { suite: SUITE, name: `report for ${ACCOUNTS} accounts, batched`, value: batchedMs, unit: 'ms', note: `${batchedCalls} calls of ≤${REPORT_BATCH}; ${LATENCY_MS} ms simulated latency per call` },
      { suite: SUITE, name: `report for ${ACCOUNTS} accounts, one call each`, value: singleMs, unit: 'ms', note: `${singleCalls} calls (${(singleMs / batchedMs).toFixed(0)}x slower)` },
      { suite: SUITE, name: 'accounts reported per second, batched', value: ACCOUNTS / (batchedMs / 1000), unit: 'accounts/s' },
    ];
  } finally {
    await http.close();
    await sim.close();
  }
}
