// Correlation rules over sliding windows with group-by, aliases and bounded state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSigmaRules } from './loader.ts';
import { CorrelationEngine } from './correlation.ts';
import type { Match } from './types.ts';

function match(ruleId: string, event: Record<string, unknown>, ruleName?: string): Match {
  return { ruleId, ruleName, title: ruleId, level: 'medium', tags: [], techniques: [], tactics: [], logsource: {}, event };
}

function corr(body: string) {
  const r = loadSigmaRules(`title: C\nid: c1\nlevel: high\ntags: [attack.credential_access, attack.t1110]\ncorrelation:\n${body.replace(/^/gm, '  ')}\n`, 'c.yml');
  assert.deepEqual(r.errors, []);
  return r.correlations;
}

test('event_count: threshold within a sliding window, per group, resets after firing', () => {
  const e = new CorrelationEngine(corr('type: event_count\nrules: [failed_login]\ngroup-by: [User]\ntimespan: 1m\ncondition:\n  gte: 3'));
  const t0 = 1_700_000_000_000;
  assert.deepEqual(e.push(match('failed_login', { User: 'bob' }), t0), []);
  assert.deepEqual(e.push(match('failed_login', { User: 'alice' }), t0 + 1000), []);
  assert.deepEqual(e.push(match('failed_login', { User: 'bob' }), t0 + 2000), []);
  const a = e.push(match('failed_login', { User: 'bob' }), t0 + 3000);
  assert.equal(a.length, 1);
  assert.deepEqual([a[0].groupBy, a[0].value, a[0].startTime, a[0].endTime, a[0].matches.length, a[0].techniques, a[0].tactics], [{ User: 'bob' }, 3, t0, t0 + 3000, 3, ['T1110'], ['credential-access']]);
  // The window starts afresh after an alert; old events slide out of the window.
  assert.deepEqual(e.push(match('failed_login', { User: 'bob' }), t0 + 4000), []);
  assert.deepEqual(e.push(match('failed_login', { User: 'alice' }), t0 + 120_000), []);
  assert.deepEqual(e.push(match('failed_login', { User: 'alice' }), t0 + 121_000), [], 'alice\'s first event left the window');
});

test('value_count counts distinct values of a field', () => {
  const e = new CorrelationEngine(corr('type: value_count\nrules: [logon]\ngroup-by: [SourceIp]\ntimespan: 5m\ncondition:\n  field: User\n  gt: 2'));
  const t = 0;
  for (const u of ['a', 'b', 'a', 'b']) assert.deepEqual(e.push(match('logon', { SourceIp: '1.2.3.4', User: u }), t), []);
  const a = e.push(match('logon', { SourceIp: '1.2.3.4', User: 'c' }), t + 10);
  assert.equal(a.length, 1);
  assert.equal(a[0].value, 3);
});

test('temporal: all referenced rules in the window in any order; aliases unify field names', () => {
  const e = new CorrelationEngine(corr('type: temporal\nrules: [recon, lsass_access]\ngroup-by: [host]\ntimespan: 10m\naliases:\n  host:\n    recon: Computer\n    lsass_access: Hostname'));
  assert.deepEqual(e.push(match('lsass_access', { Hostname: 'WS1' }), 1000), []);
  assert.deepEqual(e.push(match('recon', { Computer: 'WS2' }), 2000), []);
  const a = e.push(match('recon', { Computer: 'WS1' }), 3000);
  assert.equal(a.length, 1);
  assert.deepEqual(a[0].groupBy, { host: 'WS1' });
});

test('temporal_ordered requires the rules in order; references may be rule names', () => {
  const e = new CorrelationEngine(corr('type: temporal_ordered\nrules: [download, execute]\ngroup-by: [host]\ntimespan: 1h'));
  assert.deepEqual(e.push(match('x-id-2', { host: 'h' }, 'execute'), 1), []);
  assert.deepEqual(e.push(match('x-id-1', { host: 'h' }, 'download'), 2), []);
  const a = e.push(match('x-id-2', { host: 'h' }, 'execute'), 3);
  assert.equal(a.length, 1);
});

test('state is bounded: least recently updated groups are evicted', () => {
  const e = new CorrelationEngine(corr('type: event_count\nrules: [r]\ngroup-by: [k]\ntimespan: 1h\ncondition:\n  gte: 1000'), { maxGroups: 100, maxEventsPerGroup: 10 });
  for (let i = 0; i < 1000; i++) e.push(match('r', { k: `g${i}` }), i);
  assert.equal(e.groupCount(), 100);
  assert.equal(e.evicted, 900);
  for (let i = 0; i < 50; i++) e.push(match('r', { k: 'hot' }), 2000 + i);
  assert.ok(e.groupCount() <= 100);
});

test('events without the group-by field are ignored; invalid correlation documents are reported', () => {
  const e = new CorrelationEngine(corr('type: event_count\nrules: [r]\ngroup-by: [k]\ntimespan: 1m\ncondition:\n  gte: 1'));
  assert.deepEqual(e.push(match('r', {}), 0), []);
  assert.equal(e.push(match('r', { k: 1 }), 0).length, 1);
  const bad = loadSigmaRules('title: B\ncorrelation:\n  type: event_count\n  rules: [r]\n  timespan: forever\n  condition: {gte: 1}\n', 'b.yml');
  assert.deepEqual(bad.errors.map((x) => [x.rule, x.line]), [['B', 5]]);
  const bad2 = loadSigmaRules('title: B2\ncorrelation:\n  type: value_sum_of_squares\n  rules: [r]\n  timespan: 1m\n', 'b.yml');
  assert.match(bad2.errors[0].message, /unsupported correlation type/);
});

test('chained correlations: a correlation can reference another correlation', () => {
  const r = loadSigmaRules(
    'title: Many failures\nid: many_failures\nname: many_failures\ncorrelation:\n  type: event_count\n  rules: [failed]\n  group-by: [User]\n  timespan: 1m\n  condition: {gte: 2}\n---\n' +
      'title: Failures then success\nid: brute_success\ncorrelation:\n  type: temporal_ordered\n  rules: [many_failures, success]\n  group-by: [User]\n  timespan: 5m\n',
    'chain.yml',
  );
  assert.deepEqual(r.errors, []);
  const e = new CorrelationEngine(r.correlations);
  e.push(match('failed', { User: 'u' }), 1);
  assert.deepEqual(e.push(match('failed', { User: 'u' }), 2).map((a) => a.correlationId), ['many_failures']);
  assert.deepEqual(e.push(match('success', { User: 'u' }), 3).map((a) => a.correlationId), ['brute_success']);
});

test('out-of-order events are placed by time inside the window', () => {
  const e = new CorrelationEngine(corr('type: temporal_ordered\nrules: [a, b]\ngroup-by: [h]\ntimespan: 1m'));
  // b arrives first but happened later than a: the order is by event time, not arrival.
  assert.deepEqual(e.push(match('b', { h: 'x' }), 2000), []);
  assert.equal(e.push(match('a', { h: 'x' }), 1000).length, 1);
});

test('a match pushed again with the same id counts once; windows survive a snapshot and restore as JSON', () => {
  const cs = corr('type: event_count\nrules: [r]\ngroup-by: [k]\ntimespan: 1m\ncondition:\n  gte: 3');
  const e = new CorrelationEngine(cs);
  assert.deepEqual(e.push(match('r', { k: 'a' }), 1000, 'e1'), []);
  assert.deepEqual(e.push(match('r', { k: 'a' }), 1000, 'e1'), [], 'redelivered: not counted');
  assert.deepEqual(e.push(match('r', { k: 'a' }), 2000, 'e2'), []);
  e.push(match('r', { k: 'b' }), 2500, 'e9');
  const snap = JSON.parse(JSON.stringify(e.snapshot((m, recent) => (recent ? m.event : 0), 1)));
  // Only the newest entry of each group keeps its event.
  assert.deepEqual(snap.c.c1.map(([, entries]: [string, unknown[][]]) => entries.map((x) => x[4])), [[0, { k: 'a' }], [{ k: 'b' }]]);
  const next = new CorrelationEngine(cs);
  next.push(match('r', { k: 'stale' }), 0, 'old');
  assert.equal(next.restore(snap, (x, rule) => match(rule, (x as Record<string, unknown>) || {})), 2);
  assert.equal(next.groupCount(), 2, 'restore replaces what the engine held');
  assert.deepEqual(next.push(match('r', { k: 'a' }), 2100, 'e2'), [], 'an id from the snapshot still counts once');
  const a = next.push(match('r', { k: 'a' }), 3000, 'e3');
  assert.equal(a.length, 1);
  assert.deepEqual([a[0].value, a[0].startTime, a[0].endTime], [3, 1000, 3000]);
  assert.equal(next.restore({ v: 1, c: { c1: [['x', [['bad']]]] } } as never, () => match('r', {})), 0, 'malformed entries are skipped');
});
