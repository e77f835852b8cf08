import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalize } from './normalizer.ts';
import { validateNormalizer, type NormalizerDef } from './definition.ts';
import { convert } from './conversions.ts';
import { coerce, parseTime } from './coerce.ts';

test('validateNormalizer names the failing path', () => {
  const r = validateNormalizer({
    id: 'x',
    parser: { kind: 'regexp', options: { pattern: '(a+)+' } },
    mapping: [{ source: 'a', target: 'SrcAddr' }, { source: 'b', target: 'Message', conversions: [{ op: 'explode' }] }],
    extra: [{ parser: { kind: 'nope' }, when: [{ field: 'f', op: 'like' }] }],
    constants: { Bogus: 1 },
    keepRaw: 'sometimes',
  });
  assert.equal(r.ok, false);
  const errors = r.ok ? [] : r.errors;
  for (const expected of ['parser.options.pattern', 'mapping[0].target', 'mapping[1].conversions[0].op', 'extra[0].parser.kind', 'extra[0].when[0].op', 'constants.Bogus', 'keepRaw']) {
    assert.ok(errors.some((e) => e.startsWith(expected)), `${expected} not in ${errors.join(' | ')}`);
  }
  assert.equal(validateNormalizer(null).ok, false);
  assert.ok(validateNormalizer({ id: 'ok', parser: { kind: 'json' }, mapping: [{ source: ['a', 'b'], target: 'Name' }] }).ok);
});

test('conversions: lower, upper, trim, regexp, substring, replace, append, prepend, hash, map', () => {
  assert.equal(convert('AbC', { op: 'lower' }), 'abc');
  assert.equal(convert('AbC', { op: 'upper' }), 'ABC');
  assert.equal(convert('"x"', { op: 'trim', chars: '"' }), 'x');
  assert.equal(convert('  x ', { op: 'trim' }), 'x');
  assert.equal(convert('user=bob;', { op: 'regexp', pattern: 'user=(\\w+)' }), 'bob');
  assert.equal(convert('nothing', { op: 'regexp', pattern: 'user=(\\w+)' }), undefined);
  assert.equal(convert('abcdef', { op: 'substring', start: 1, end: 3 }), 'bc');
  assert.equal(convert('a-b-c', { op: 'replace', from: '-', to: '.' }), 'a.b.c');
  assert.equal(convert('a1b22', { op: 'replace', from: '\\d+', to: '#', regexp: true }), 'a#b#');
  assert.equal(convert('x', { op: 'append', value: '!' }), 'x!');
  assert.equal(convert('x', { op: 'prepend', value: '>' }), '>x');
  assert.equal(convert('abc', { op: 'hash', algorithm: 'md5' }), '900150983cd24fb0d6963f7d28e17f72');
  assert.equal(convert('6', { op: 'map', values: { '6': 'TCP' } }), 'TCP');
});

test('coercion validates addresses, ports, MACs and times; invalid values are dropped', () => {
  assert.equal(coerce('address', '10.0.0.1'), '10.0.0.1');
  assert.equal(coerce('address', '[2001:DB8::1]'), '2001:db8::1');
  assert.equal(coerce('address', '::ffff:10.1.1.1'), '10.1.1.1');
  assert.equal(coerce('address', 'not-an-ip'), undefined);
  assert.equal(coerce('port', '443'), 443);
  assert.equal(coerce('port', '70000'), undefined);
  assert.equal(coerce('mac', 'A4-83-E7-12-34-56'), 'a4:83:e7:12:34:56');
  assert.equal(coerce('int', '0x10'), 16);
  assert.equal(coerce('time', '1732788902000'), '2024-11-28T10:15:02.000Z');
  assert.equal(coerce('time', '28/Nov/2024:11:30:00 +0300'), '2024-11-28T08:30:00.000Z');
  assert.equal(coerce('time', 'yesterday'), undefined);
  assert.equal(parseTime('Sep 07 2018 14:50:39'), Date.UTC(2018, 8, 7, 14, 50, 39));
});

const DEF: NormalizerDef = {
  id: 'test-kv',
  parser: { kind: 'syslog' },
  extra: [
    { name: 'kv body', when: [{ field: 'appname', op: 'equals', value: 'fw' }], field: 'message', parser: { kind: 'kv' } },
    { name: 'never', when: [{ field: 'appname', op: 'equals', value: 'other' }], field: 'message', parser: { kind: 'json' } },
  ],
  constants: { DeviceVendor: 'Acme', DeviceProduct: 'FW' },
  mapping: [
    { source: 'src', target: 'SourceAddress' },
    { source: ['dstport', 'dpt'], target: 'DestinationPort' },
    { source: 'user', target: 'SourceUserName', conversions: [{ op: 'lower' }] },
    { source: 'dst', target: 'DestinationAddress' },
  ],
  keepRaw: 'errors',
};

test('normalize: sub-rules by condition, mapping with fallbacks, Extra keeps unmapped fields, Raw on errors', () => {
  const raw = '<134>Nov 28 10:00:00 gw fw: src=10.0.0.5 dpt=443 user=ALICE dst=bogus zone=dmz';
  const r = normalize(DEF, raw);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.event.DeviceVendor, 'Acme');
  assert.equal(r.event.SourceAddress, '10.0.0.5');
  assert.equal(r.event.DestinationPort, 443);
  assert.equal(r.event.SourceUserName, 'alice');
  assert.equal(r.event.DestinationAddress, undefined);
  assert.ok(r.warnings.some((w) => w.startsWith('DestinationAddress')));
  assert.equal(r.event.Raw, raw);
  assert.equal((r.event.Extra as Record<string, string>).zone, 'dmz');
  assert.equal(r.original.src, '10.0.0.5');
  assert.equal(r.original.appname, 'fw');
});

test('normalize: a parse failure is an error value, never a throw', () => {
  const r = normalize({ id: 'j', parser: { kind: 'json' } }, '{"broken":');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, /^j: invalid JSON/);
});

test('normalize: CEF auto-mapping fills the schema from the extension dictionary', () => {
  const r = normalize({ id: 'cef', parser: { kind: 'cef' }, autoMap: 'cef', keepExtra: false }, 'CEF:0|V|P|1|sig|Name|5|src=1.2.3.4 spt=99999 suser=bob rt=1732788902000 custom=1');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.deepEqual(
    { ...r.event },
    { DeviceVendor: 'V', DeviceProduct: 'P', DeviceVersion: '1', DeviceEventClassID: 'sig', Name: 'Name', Severity: '5', SourceAddress: '1.2.3.4', SourceUserName: 'bob', DeviceReceiptTime: '2024-11-28T10:15:02.000Z' },
  );
});
