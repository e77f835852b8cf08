import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestCa } from './tls.ts';

/**
 * An HTTPS endpoint that answers after `delayMs`, counts requests per JSON `target.value` and
 * the highest number in flight at once; `hold(value)` keeps requests for a value open forever
 * (to kill a worker mid-call).
 */
export async function startSlowHook(delayMs = 50) {
  const ca = await createTestCa();
  const leaf = await ca.issue({ cn: 'localhost', ips: ['127.0.0.1'] });
  const counts = new Map<string, number>();
  const held = new Set<string>();
  const bodies: unknown[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const arrivals: ((value: string) => void)[] = [];
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.end('{}');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      bodies.push(body);
      const value = String(body?.target?.value ?? '');
      counts.set(value, (counts.get(value) ?? 0) + 1);
      for (const a of arrivals) a(value);
      if (held.has(value)) return; // never answered
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(value.startsWith('fail') ? 500 : 200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    ca: ca.cert,
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (value: string) => counts.get(value) ?? 0,
    bodies,
    get maxInFlight() {
      return maxInFlight;
    },
    resetMax() {
      maxInFlight = 0;
    },
    hold: (value: string) => held.add(value),
    arrived: (value: string) => new Promise<void>((resolve) => arrivals.push((v) => v === value && resolve())),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
