// Property-based tests: random strings and bytes never make a parser throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, PARSER_KINDS } from './index.ts';
import { parseSyslog } from './syslog.ts';
import { SyslogFrameSplitter } from './framing.ts';

const OPTIONS: Record<string, Record<string, unknown>> = { regexp: { pattern: '^(?P<a>\\S+) (?P<b>.*)$' }, csv: { columns: ['a', 'b'] } };
const PREFIXES = ['', '<13>', '<13>1 ', 'CEF:0|', 'CEF:1|a|b|c|d|e|f|', 'LEEF:2.0|a|b|c|d|', 'LEEF:1.0|', '{"a":', '<Event><System>', 'a="', '<165>Nov 28 10:00:00 '];

function assertNoThrow(kind: string, raw: string): void {
  const r = parse(kind as (typeof PARSER_KINDS)[number], raw, OPTIONS[kind] ?? {});
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) assert.equal(typeof r.error, 'string');
}

test('no parser throws on random strings (with format-like prefixes)', () => {
  fc.assert(
    fc.property(fc.constantFrom(...PARSER_KINDS), fc.constantFrom(...PREFIXES), fc.string({ unit: 'binary', maxLength: 300 }), (kind, prefix, s) => {
      assertNoThrow(kind, prefix + s);
    }),
    { numRuns: 1500 },
  );
});

test('no parser throws on random bytes decoded as UTF-8 or Latin-1', () => {
  fc.assert(
    fc.property(fc.constantFrom(...PARSER_KINDS), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (kind, bytes, latin1) => {
      assertNoThrow(kind, Buffer.from(bytes).toString(latin1 ? 'latin1' : 'utf8'));
    }),
    { numRuns: 1500 },
  );
});

test('strict and lenient syslog never throw on raw bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), fc.boolean(), (bytes, strict, compliantMsg) => {
      const r = parseSyslog(Buffer.concat([Buffer.from('<13>1 - - - - - - '), bytes]), { strict, compliantMsg });
      assert.equal(typeof r.ok, 'boolean');
      const r2 = parseSyslog(bytes, { strict });
      assert.equal(typeof r2.ok, 'boolean');
    }),
    { numRuns: 1000 },
  );
});

test('the frame splitter returns the same frames however the stream is chunked', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\n') && !/^[1-9]/.test(s)), { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 8 }), (msgs, cuts) => {
      const stream = Buffer.from(msgs.map((m, i) => (i % 2 ? `${Buffer.byteLength(m)} ${m}` : `${m}\n`)).join(''));
      const s = new SyslogFrameSplitter();
      const out: string[] = [];
      let pos = 0;
      let k = 0;
      while (pos < stream.length) {
        const n = cuts[k++ % cuts.length];
        out.push(...s.push(stream.subarray(pos, pos + n)).map(String));
        pos += n;
      }
      out.push(...s.flush().map(String));
      assert.deepEqual(out, msgs.map((m) => m.replace(/\r$/, '')).filter((m) => m.length > 0));
    }),
    { numRuns: 300 },
  );
});
