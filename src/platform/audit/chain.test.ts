import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson, entryHash } from './chain.ts';
import { redactSecrets } from './redact.ts';
import { GENESIS_HASH } from './migrations.ts';

test('canonical JSON sorts keys at every depth and parses back to the same value', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      assert.deepEqual(JSON.parse(canonicalJson(v)), JSON.parse(JSON.stringify(v)));
      // Key order in the input never changes the text.
      const reversed = JSON.parse(JSON.stringify(v), (_k, x) =>
        x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x,
      );
      assert.equal(canonicalJson(reversed), canonicalJson(v));
    }),
    { numRuns: 200 },
  );
});

test('the entry hash depends on every field and on the previous hash', () => {
  const row = {
    seq: 1, id: 'e1', at: 1, actor_kind: 'user', actor_id: 'u', actor_name: 'n', tenant_id: 't', action: 'a.b',
    target_kind: 'k', target_id: 'i', outcome: 'success', details: '{}', ip: '::1',
  };
  const base = entryHash(GENESIS_HASH, row);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(entryHash(GENESIS_HASH, { ...row }), base);
  // Drivers may return bigints as strings; the hash must not care.
  assert.equal(entryHash(GENESIS_HASH, { ...row, seq: '1' as unknown as number, at: '1' as unknown as number }), base);
  for (const [k, v] of Object.entries({ seq: 2, id: 'e2', at: 2, actor_kind: 'token', actor_id: null, actor_name: 'm', tenant_id: null, action: 'a.c', target_kind: null, target_id: null, outcome: 'failure', details: '{"x":1}', ip: null })) {
    assert.notEqual(entryHash(GENESIS_HASH, { ...row, [k]: v }), base, `changing ${k} must change the hash`);
  }
  assert.notEqual(entryHash('f'.repeat(64), row), base);
});

test('redactSecrets replaces named fields at any depth and leaves the input untouched', () => {
  const input = { name: 'kata', secrets: { privateKey: 'PEM…', password: 'pw' }, list: [{ token: 't' }, { token: null }], password: '' };
  const out = redactSecrets(input, ['privateKey', 'password', 'token']);
  assert.deepEqual(out, { name: 'kata', secrets: { privateKey: '[set]', password: '[set]' }, list: [{ token: '[set]' }, { token: null }], password: '[set]' });
  assert.equal(input.secrets.password, 'pw');
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string({ minLength: 6 }), (obj, secret) => {
      const withSecret = { ...obj, nested: { apiKey: `zz${secret}` } };
      assert.ok(!JSON.stringify(redactSecrets(withSecret, ['apiKey'])).includes(`"zz${secret}"`));
    }),
    { numRuns: 100 },
  );
});
