import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizeObservable, ObservableError, OBSERVABLE_TYPES } from './observables.ts';

test('IP addresses take their canonical forms', () => {
  assert.equal(normalizeObservable('ip', ' 10.0.0.1 '), '10.0.0.1');
  assert.equal(normalizeObservable('ip', '2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(normalizeObservable('ip', '::ffff:192.0.2.5'), '192.0.2.5');
  assert.throws(() => normalizeObservable('ip', '010.1'), ObservableError);
  assert.throws(() => normalizeObservable('ip', '999.1.1.1'), ObservableError);
});

test('hashes are lowercased and length-checked', () => {
  assert.equal(normalizeObservable('md5', 'D41D8CD98F00B204E9800998ECF8427E'), 'd41d8cd98f00b204e9800998ecf8427e');
  assert.throws(() => normalizeObservable('sha256', 'abc'), /64 hexadecimal/);
  assert.throws(() => normalizeObservable('sha1', 'g'.repeat(40)), ObservableError);
});

test('IDN domains become punycode; URLs are normalized', () => {
  assert.equal(normalizeObservable('domain', 'Пример.РФ.'), 'xn--e1afmkfd.xn--p1ai');
  assert.equal(normalizeObservable('url', 'HTTP://Example.COM:80/a b?q=1'), 'http://example.com/a%20b?q=1');
  assert.equal(normalizeObservable('url', 'https://пример.рф/x'), 'https://xn--e1afmkfd.xn--p1ai/x');
  assert.equal(normalizeObservable('email', 'Alice@Example.COM'), 'Alice@example.com');
});

test('hostile values are refused, never reinterpreted', () => {
  assert.throws(() => normalizeObservable('url', 'http://a.test/x\r\nSet-Cookie: y'), /control characters/);
  assert.throws(() => normalizeObservable('userName', 'bob\u0000admin'), /control characters/);
  assert.throws(() => normalizeObservable('domain', '$(reboot)'), ObservableError);
  assert.equal(normalizeObservable('filePath', "'; DROP TABLE alerts; --"), "'; DROP TABLE alerts; --");
  assert.throws(() => normalizeObservable('processName', 'x'.repeat(9000)), /at most/);
});

test('normalization never throws anything but ObservableError and is idempotent', () => {
  fc.assert(
    fc.property(fc.constantFrom(...OBSERVABLE_TYPES), fc.string({ maxLength: 300 }), (type, value) => {
      try {
        const once = normalizeObservable(type, value);
        assert.equal(normalizeObservable(type, once), once);
      } catch (err) {
        assert.ok(err instanceof ObservableError, String(err));
      }
    }),
    { numRuns: 2000 },
  );
});
