// The batching scenario every firewall connector must pass: 20 concurrent single-IP blocks on one
// instance, where the device refuses the sixth value and the first two callers are cancelled once
// the batch is under way. Each connector's test then checks its own requests and error words.
import assert from 'node:assert/strict';

export interface BatchScenario {
  /** The device simulator's knobs. */
  sim: { refuseValue(value: string): void; setLatency(ms: number): void };
  /** One blockIp call, as a response job makes it. */
  block(ip: string, signal?: AbortSignal): Promise<{ output?: Record<string, unknown> }>;
  /** True once the batch has reached the device (every caller is in it by then). */
  started(): boolean;
}

export const REFUSED = 5;
export const CANCELLED = [0, 1];

export async function blockTwentyConcurrently(s: BatchScenario): Promise<{ ips: string[]; settled: PromiseSettledResult<{ output?: Record<string, unknown> }>[] }> {
  const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 101}`);
  s.sim.refuseValue(ips[REFUSED]);
  s.sim.setLatency(5);
  const aborters = CANCELLED.map(() => new AbortController());
  const launch = (v: string, i: number) => s.block(v, aborters[i]?.signal);
  // The first call arrives first, so its outbound client carries the batch's requests.
  const first = launch(ips[0], 0);
  await new Promise((r) => setTimeout(r, 10));
  const calls = [first, ...ips.slice(1).map((v, i) => launch(v, i + 1))];
  while (!s.started()) await new Promise((r) => setTimeout(r, 2));
  for (const a of aborters) a.abort(new Error('the job was cancelled'));
  const settled = await Promise.allSettled(calls);
  s.sim.setLatency(0);
  return { ips, settled };
}

/** The cancelled callers say so, the refused value fails with `refusal`, every other caller blocked its own IP. */
export function assertOnlyOwnFailures(ips: string[], settled: PromiseSettledResult<{ output?: Record<string, unknown> }>[], refusal: RegExp): void {
  for (const i of CANCELLED) assert.match(String((settled[i] as PromiseRejectedResult).reason?.message), /the job was cancelled/);
  assert.match(String((settled[REFUSED] as PromiseRejectedResult).reason?.message), refusal);
  settled.forEach((r, i) => {
    if (CANCELLED.includes(i) || i === REFUSED) return;
    assert.equal(r.status, 'fulfilled', `call ${i}: ${(r as PromiseRejectedResult).reason?.message}`);
    assert.deepEqual((r as PromiseFulfilledResult<{ output?: Record<string, unknown> }>).value.output?.blocked, [ips[i]]);
  });
}
