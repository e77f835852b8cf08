// The script launch service against a real sshd on loopback: one script on 100 targets
// (distinct runs) at concurrency 1, 8 and 32 — wall time and SSH connections opened (counted
// by the pool and by sshd's log). Goal (issue 7): time at 32 ≤ 1.5 × (100/32) × single-run time.
import { createLogger } from '../src/platform/log/index.ts';
import type { ConnectorContext } from '../src/integrations/framework/contract.ts';
import { validateAgainst } from '../src/integrations/framework/validate.ts';
import { closeIdleConnections, sshConnector, sshPoolStats } from '../src/integrations/ssh/index.ts';
import { startSshd, sshdUnavailable } from '../test/support/sshd.ts';
import { setMaxListeners } from 'node:events';
import { median, type BenchRow } from './lib.ts';

/** One signal shared by 100 concurrent runs (the framework gives each run its own). */
function unlimitedSignal(): AbortSignal {
  const { signal } = new AbortController();
  setMaxListeners(0, signal);
  return signal;
}

const SUITE = 'ssh';
const TARGETS = 100;
/** What a response script typically spends calling a firewall or PAM API. */
const SCRIPT_MS = 200;

export default async function run(): Promise<BenchRow[]> {
  const unavailable = sshdUnavailable();
  if (unavailable) return [{ suite: SUITE, name: 'skipped', value: NaN, unit: '', note: unavailable }];
  const s = await startSshd();
  try {
    const script = s.writeScript('bench.sh', `#!/bin/sh\nsleep ${SCRIPT_MS / 1000}\necho "done $1"\n`);
    let instance = 0;
    const ctxFor = (concurrency: number, id = `bench-${++instance}`): ConnectorContext<any, any> => ({
      instance: { id, tenantId: 'bench', name: 'bench', type: 'ssh' },
      config: validateAgainst(sshConnector.configSchema, { host: s.host, port: s.port, username: s.user, hostKey: s.hostKeyLine, maxParallelRuns: concurrency }, 'config'),
      secrets: { privateKey: s.clientKeys.ed25519.privateKey },
      logger: createLogger('silent'),
      http: undefined as never,
      signal: unlimitedSignal(),
    });
    const params = (i: number) => validateAgainst(sshConnector.actions.runScript.paramsSchema, { workingDirectory: s.workDir, scriptPath: script, args: [`10.0.${i >> 8}.${i & 255}`] }, 'params');
    const runOne = (ctx: ConnectorContext<any, any>, i: number) => sshConnector.actions.runScript.execute(ctx, { kind: 'observable:ip', value: `10.0.0.${i}` }, params(i) as never);

    // Single-run time: one run on a warm connection (the median of 5), i.e. the script plus one exec round trip.
    const warm = ctxFor(1);
    await runOne(warm, 0);
    const singles: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await runOne(warm, i);
      singles.push(performance.now() - t0);
    }
    const single = median(singles);
    const rows: BenchRow[] = [{ suite: SUITE, name: 'single run (warm connection)', value: single, unit: 'ms', note: `script sleeps ${SCRIPT_MS} ms` }];

    const scenarios = [
      { concurrency: 1, warm: false },
      { concurrency: 8, warm: false },
      { concurrency: 32, warm: false },
      // Again on the connections the previous run left open: what a busy instance sees.
      { concurrency: 32, warm: true },
    ];
    for (const { concurrency, warm } of scenarios) {
      if (!warm) closeIdleConnections();
      // The limit is the instance's "Parallel runs" setting: launch all 100 and let the pool queue them.
      const ctx = ctxFor(concurrency, warm ? `bench-${instance}` : undefined);
      const pool0 = sshPoolStats().connectionsOpened;
      const sshd0 = s.connectionCount();
      const t0 = performance.now();
      const results = await Promise.all(Array.from({ length: TARGETS }, (_, i) => runOne(ctx, i)));
      const wall = performance.now() - t0;
      if (results.some((r) => r.output?.exitCode !== 0)) throw new Error('a run failed');
      const opened = sshPoolStats().connectionsOpened - pool0;
      const label = `${TARGETS} targets, concurrency ${concurrency}${warm ? ', pool already warm' : ''}`;
      rows.push({ suite: SUITE, name: label, value: wall, unit: 'ms', note: `${opened} SSH connections opened (sshd saw ${s.connectionCount() - sshd0})` });
      if (concurrency === 32) {
        const ratio = wall / ((TARGETS / 32) * single);
        // 100 runs at 32 take at least ceil(100/32) = 4 script durations, so 1.28× is the floor here.
        const floor = Math.ceil(TARGETS / 32) / (TARGETS / 32);
        rows.push({ suite: SUITE, name: `goal ratio at 32${warm ? ' (warm)' : ' (cold)'}: time / ((100/32) × single run)`, value: ratio, unit: '×', note: `${ratio <= 1.5 ? 'meets' : 'MISSES'} ≤ 1.5× (whole waves make ${floor.toFixed(2)}× the floor)` });
      }
    }
    return rows;
  } finally {
    closeIdleConnections();
    await s.stop();
  }
}
