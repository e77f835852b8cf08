import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBuckets } from './rate-limit.ts';

test('concurrent callers get the burst at once, then evenly spaced slots in arrival order', async () => {
  let now = 0;
  const buckets = new TokenBuckets(100, () => now); // a frozen clock: waits are computed, not measured
  const waits = await Promise.all(Array.from({ length: 5 }, () => buckets.take('k', 20, 2)));
  assert.deepEqual(waits.map(Math.round), [0, 0, 50, 100, 150]);
  now += 1000; // a second later the bucket has refilled to its burst, no more
  assert.deepEqual(await Promise.all([buckets.take('k', 20, 2), buckets.take('k', 20, 2), buckets.take('k', 20, 2)]).then((w) => w.map(Math.round)), [0, 0, 50]);
});

test('keys are independent', async () => {
  const buckets = new TokenBuckets(100, () => 0);
  assert.equal(await buckets.take('a', 1, 1), 0);
  assert.equal(await buckets.take('b', 1, 1), 0);
});

test('a cancelled wait rejects at once and keeps its slot (never more than the rate)', async () => {
  const buckets = new TokenBuckets(100, () => 0);
  await buckets.take('k', 10, 1);
  const ac = new AbortController();
  const waiting = buckets.take('k', 10, 1, ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  const next = buckets.take('k', 10, 1);
  assert.equal(Math.round(await next), 200, 'the next caller queues behind the cancelled slot');
});

test('a full table drops refilled keys without changing any answer; bad rates are refused', async () => {
  let now = 0;
  const buckets = new TokenBuckets(2, () => now);
  await buckets.take('a', 100, 1);
  await buckets.take('b', 100, 1);
  now += 1000;
  await buckets.take('c', 100, 1); // a and b have refilled: dropping them loses nothing
  assert.equal(await buckets.take('a', 100, 1), 0);
  await assert.rejects(buckets.take('x', 0), RangeError);
});
