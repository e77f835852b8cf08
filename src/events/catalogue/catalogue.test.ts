// Replays every catalogue entry's samples through its normalizer and checks the expected fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogue, findSource } from './index.ts';
import { normalize } from '../normalize/normalizer.ts';
import { validateNormalizer } from '../normalize/definition.ts';

test('the catalogue lists more than 100 sources with unique ids and at least one sample each', () => {
  assert.ok(catalogue.length > 100, `only ${catalogue.length} sources`);
  assert.equal(new Set(catalogue.map((e) => e.id)).size, catalogue.length);
  for (const e of catalogue) assert.ok(e.samples.length >= 1, `${e.id} has no sample`);
  assert.equal(findSource('cisco-asa')?.vendor, 'Cisco');
  assert.equal(findSource('no-such-source'), undefined);
});

test('every catalogue normalizer is a valid, JSON-serializable definition', () => {
  for (const e of catalogue) {
    const copy = JSON.parse(JSON.stringify(e.normalizer));
    const v = validateNormalizer(copy);
    assert.ok(v.ok, `${e.id}: ${v.ok ? '' : v.errors.join('; ')}`);
  }
});

test('every catalogue sample normalizes to its expected fields', () => {
  const failures: string[] = [];
  let samples = 0;
  for (const e of catalogue) {
    for (const [i, s] of e.samples.entries()) {
      samples++;
      const r = normalize(JSON.parse(JSON.stringify(e.normalizer)), s.raw);
      if (!r.ok) {
        failures.push(`${e.id}#${i}: ${r.error}`);
        continue;
      }
      for (const [k, v] of Object.entries(s.expected)) {
        if (r.event[k] !== v) failures.push(`${e.id}#${i}: ${k} = ${JSON.stringify(r.event[k])}, expected ${JSON.stringify(v)}`);
      }
    }
  }
  assert.ok(samples >= catalogue.length);
  assert.deepEqual(failures, []);
});

test('no catalogue normalizer throws on random or mutated input (property)', async () => {
  const fc = (await import('fast-check')).default;
  const samples = catalogue.flatMap((e) => e.samples.map((s) => ({ e, raw: s.raw })));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: samples.length - 1 }), fc.nat(), fc.nat(), fc.string({ unit: 'binary', maxLength: 40 }), (i, cut, at, junk) => {
      const { e, raw } = samples[i];
      // Truncate the sample and splice random text into it.
      const t = raw.slice(0, cut % (raw.length + 1));
      const p = at % (t.length + 1);
      const r = normalize(e.normalizer, t.slice(0, p) + junk + t.slice(p));
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 1500 },
  );
});
