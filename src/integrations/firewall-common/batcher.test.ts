import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher } from './batcher.ts';
import type { BatchOutcome } from './outcome.ts';
import type { OutboundClient } from '../../platform/outbound/index.ts';

// The batcher alone, with a fake apply: what joins a batch, in what order, and whose result is whose.
const http = { request: async () => ({ status: 200, headers: {}, body: null }), scoped: () => http, stats: () => ({}), close: async () => {} } as unknown as OutboundClient;
const ctx = (signal = new AbortController().signal) => ({ signal, http, logger: console as any });

function recorder(fail: (values: string[]) => Map<string, unknown> | undefined = () => undefined) {
  const batches: [string, string[]][] = [];
  const batcher = new Batcher<ReturnType<typeof ctx>>(async (_c, op, values): Promise<BatchOutcome> => {
    batches.push([op, values]);
    await new Promise((r) => setTimeout(r, 5));
    const failed = fail(values);
    return { changed: values.filter((v) => !failed?.has(v)), unchanged: [], created: ['group g'], failed };
  }, { windowMs: 10, maxValues: 5 });
  return { batches, batcher };
}

test('calls of one key and operation meet in one batch; the size bound and the key separate them', async () => {
  const { batches, batcher } = recorder();
  const results = await Promise.all([...['a', 'b', 'c', 'd', 'e', 'f'].map((v) => batcher.submit('k1', 'block', [v], ctx())), batcher.submit('k2', 'block', ['x'], ctx())]);
  assert.deepEqual(batches, [['block', ['a', 'b', 'c', 'd', 'e']], ['block', ['x']], ['block', ['f']]]);
  assert.deepEqual(results.map((r) => r.changed), [['a'], ['b'], ['c'], ['d'], ['e'], ['f'], ['x']]);
  // Creation is said once per batch, to its first caller.
  assert.deepEqual(results.map((r) => r.created.length), [1, 0, 0, 0, 0, 1, 1]);
});

test('a block and an unblock of the same value keep their order; other values may go ahead', async () => {
  const { batches, batcher } = recorder();
  await Promise.all([batcher.submit('k', 'block', ['a'], ctx()), batcher.submit('k', 'unblock', ['a'], ctx()), batcher.submit('k', 'block', ['a'], ctx()), batcher.submit('k', 'block', ['b'], ctx()), batcher.submit('k', 'unblock', ['c'], ctx())]);
  assert.deepEqual(batches, [['block', ['a', 'b']], ['unblock', ['a', 'c']], ['block', ['a']]]);
});

test('a failed value fails its caller only; a caller with several values is told which failed', async () => {
  const { batcher } = recorder((values) => new Map(values.filter((v) => v === 'bad').map((v) => [v, new Error(`${v} refused`)])));
  const settled = await Promise.allSettled([batcher.submit('k', 'block', ['ok'], ctx()), batcher.submit('k', 'block', ['bad'], ctx()), batcher.submit('k', 'block', ['ok2', 'bad'], ctx())]);
  assert.equal(settled[0].status, 'fulfilled');
  assert.match(String((settled[1] as PromiseRejectedResult).reason.message), /^bad refused$/);
  assert.match(String((settled[2] as PromiseRejectedResult).reason.message), /1 of 2 values failed \(bad: bad refused\); the other 1 were applied/);
});

test('a caller aborted before its batch is left out; aborted during it, it is rejected and the batch goes on', async () => {
  const { batches, batcher } = recorder();
  const early = new AbortController();
  const late = new AbortController();
  const a = batcher.submit('k', 'block', ['a'], ctx(late.signal)).catch((e: Error) => e);
  const b = batcher.submit('k', 'block', ['b'], ctx(early.signal)).catch((e: Error) => e);
  const c = batcher.submit('k', 'block', ['c'], ctx());
  early.abort(new Error('early'));
  await new Promise((r) => setTimeout(r, 12));
  late.abort(new Error('late'));
  assert.match(String(((await b) as Error).message), /early/);
  assert.match(String(((await a) as Error).message), /late/);
  assert.deepEqual((await c).changed, ['c']);
  assert.deepEqual(batches, [['block', ['a', 'c']]]);
});

test('when every waiting call is cancelled during the window, nothing is applied and later calls still run', async () => {
  const { batches, batcher } = recorder();
  const ac = new AbortController();
  const gone = batcher.submit('k', 'block', ['a'], ctx(ac.signal)).catch((e: Error) => e);
  ac.abort(new Error('gone'));
  assert.match(String(((await gone) as Error).message), /gone/);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual((await batcher.submit('k', 'block', ['b'], ctx())).changed, ['b']);
  assert.deepEqual(batches, [['block', ['b']]]);
});
