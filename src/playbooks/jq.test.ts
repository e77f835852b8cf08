import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Jq, JqError } from './jq.ts';

const jq = new Jq(1500);
after(() => jq.close());

test('real jq: compile errors are jq’s own words', async () => {
  assert.equal(await jq.check('.severity == "high"'), null);
  assert.match((await jq.check('.foo | bad syntax ('))!, /syntax error/);
  assert.equal(await jq.check('.a + 1'), null, 'a runtime error on null is not a compile error');
});

test('one program over many inputs, with per-input errors', async () => {
  const res = await jq.evalMany('.a + 1', [{ a: 1 }, { a: 'x' }, { a: 41 }]);
  assert.deepEqual(res[0], { ok: true, values: [2] });
  assert.equal(res[1].ok, false);
  assert.match((res[1] as { error: string }).error, /cannot be added/);
  assert.deepEqual(res[2], { ok: true, values: [42] });
  assert.deepEqual((await jq.evalMany('.[]', [[1, 2, 3]]))[0], { ok: true, values: [1, 2, 3] });
  assert.deepEqual(await jq.evalMany('.', []), []);
});

test('a runaway program is stopped and the next call works', async () => {
  await assert.rejects(jq.first('[repeat(1)] | length', null), JqError);
  assert.equal(await jq.first('.x', { x: 7 }), 7);
});

test('jq sees no process environment', async () => {
  process.env.XDRHUB_JQ_CANARY = 'canary-value';
  const env = await jq.first('$ENV | tostring', null);
  assert.ok(!String(env).includes('canary-value'));
});
