// The outbound client against a local HTTPS server: throughput, latency and how many TLS
// connections it opens per 1,000 calls (keep-alive reuse; the KATA connector depends on it).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../src/platform/log/index.ts';
import { createOutboundClient, fingerprintSha256, type TlsOptions } from '../src/platform/outbound/index.ts';
import { createTestCa } from '../test/support/tls.ts';
import { percentile, type BenchRow } from './lib.ts';

const SUITE = 'outbound';

export default async function run(): Promise<BenchRow[]> {
  const ca = await createTestCa();
  const leaf = await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
  let handshakes = 0;
  const server = https.createServer({ cert: leaf.cert, key: leaf.key, keepAliveTimeout: 30_000 }, (req, res) => {
    // /close answers with Connection: close: every call needs a new handshake (the no-reuse baseline).
    res.writeHead(200, { 'content-type': 'application/json', ...(req.url === '/close' ? { connection: 'close' } : {}) });
    res.end('{"verdict":"clean","score":0}');
  });
  server.on('secureConnection', () => handshakes++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rows: BenchRow[] = [];

  async function scenario(name: string, calls: number, concurrency: number, path: string, tls: TlsOptions) {
    const client = createOutboundClient({ logger: createLogger('silent'), connectionsPerOrigin: concurrency });
    const latencies: number[] = [];
    const before = handshakes;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < calls) {
          next++;
          const t = performance.now();
          const res = await client.request({ method: 'GET', url: `${base}${path}`, tls });
          if (res.status !== 200) throw new Error(`status ${res.status}`);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const opened = handshakes - before;
    const counted = Object.values(client.stats().connectionsByOrigin).reduce((a, b) => a + b, 0);
    await client.close();
    const note = `${calls} calls, concurrency ${concurrency}`;
    rows.push(
      { suite: SUITE, name: `${name}: TLS connections per 1,000 calls`, value: (opened / calls) * 1000, unit: 'conn', note: `${note}; client counted ${counted}` },
      { suite: SUITE, name: `${name}: throughput`, value: calls / seconds, unit: 'calls/s', note },
      { suite: SUITE, name: `${name}: p50`, value: percentile(latencies, 50), unit: 'ms', note },
      { suite: SUITE, name: `${name}: p99`, value: percentile(latencies, 99), unit: 'ms', note },
    );
  }

  try {
    const trusted = { ca: ca.cert };
    await scenario('keep-alive, sequential', 1000, 1, '/', trusted);
    await scenario('keep-alive, 16 concurrent', 1000, 16, '/', trusted);
    await scenario('keep-alive, pinned', 1000, 16, '/', { pinSha256: fingerprintSha256(leaf.cert) });
    await scenario('no reuse (Connection: close)', 200, 4, '/close', trusted);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return rows;
}
