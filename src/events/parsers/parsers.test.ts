// Our own parser cases: escaping, edge cases, truncated and invalid input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from './index.ts';
import { parseSyslog } from './syslog.ts';
import { parseCef } from './cef.ts';
import { parseLeef, leefDelimiter } from './leef.ts';
import { parseKv } from './kv.ts';
import { parseCsv } from './csv.ts';
import { parseXml } from './xml.ts';
import { parseRegexp, rewriteRe2, looksCatastrophic } from './regexp.ts';
import { SyslogFrameSplitter } from './framing.ts';

const ok = (r: ReturnType<typeof parse>) => {
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.fields;
};

test('syslog: RFC 5424 with structured data and escapes', () => {
  const f = ok(parseSyslog('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App\\"lication\\]"] An application event'));
  assert.equal(f.format, 'rfc5424');
  assert.equal(f.facility, 20);
  assert.equal(f.severity, 5);
  assert.equal(f.timestamp, '2003-10-11T22:14:15.003000Z');
  assert.deepEqual(f.structuredData, { 'exampleSDID@32473': { iut: '3', eventSource: 'App"lication]' } });
  assert.equal(f.message, 'An application event');
});

test('syslog: RFC 3164 with space-padded day, pid, and a reference year', () => {
  const f = ok(parseSyslog('<34>Oct  1 22:14:15 mymachine su[42]: \'su root\' failed', { now: new Date('2026-05-01T00:00:00Z') }));
  assert.equal(f.hostname, 'mymachine');
  assert.equal(f.appname, 'su');
  assert.equal(f.procid, '42');
  assert.equal(f.timestamp, '2026-10-01T22:14:15.000000Z');
});

test('syslog: a December message read in January belongs to the previous year', () => {
  const f = ok(parseSyslog('<13>Dec 31 23:59:59 host app: x', { now: new Date('2027-01-01T00:00:10Z') }));
  assert.equal(String(f.timestamp).slice(0, 4), '2026');
});

test('syslog: strict mode rejects truncated and malformed headers, lenient falls back', () => {
  for (const bad of ['', '<', '<13', '<13>', '<13>1', '<13>1 2003-10-11T22:14', '<999>1 - - - - - -', '<13>1 - - - - - [unterminated x="1"']) {
    assert.equal(parseSyslog(bad, { strict: true }).ok, false, JSON.stringify(bad));
  }
  assert.equal(parseSyslog('just text without header').ok, false);
  // A bracket block that is not shaped like SD is message text; a broken SD element falls back to 3164.
  assert.equal(ok(parseSyslog('<13>1 - - - - - [bad')).message, '[bad');
  assert.equal(ok(parseSyslog('<13>1 - - - - - [x a="1" b=2] m')).format, 'rfc3164');
});

test('syslog: Cisco ASA style with year, trailing colon and `host :` separator', () => {
  const f = ok(parseSyslog('<166>Nov 28 2024 10:55:02 fw01 : %ASA-6-302013: Built outbound TCP connection'));
  assert.equal(f.hostname, 'fw01');
  assert.equal(f.appname, '%ASA-6-302013');
  assert.equal(f.message, 'Built outbound TCP connection');
  assert.equal(f.timestamp, '2024-11-28T10:55:02.000000Z');
});

test('framing: octet counting and newline framing, split across chunks', () => {
  const s = new SyslogFrameSplitter();
  const frames = [...s.push(Buffer.from('11 <13>1 - - -')), ...s.push(Buffer.from('<14>1 a b c\n<15>x y\r\n13 <1')), ...s.push(Buffer.from('3>1 - - - -'))];
  assert.deepEqual(frames.map(String), ['<13>1 - - -', '<14>1 a b c', '<15>x y', '<13>1 - - - -']);
  assert.deepEqual(s.flush(), []);
});

test('framing: NUL delimiter, oversize frames and bad length prefixes are counted, not thrown', () => {
  const s = new SyslogFrameSplitter({ mode: 'newline', delimiter: 0, maxFrameBytes: 8 });
  const out = s.push(Buffer.from('short\0this one is far too long\0ok\0'));
  assert.deepEqual(out.map(String), ['short', 'ok']);
  assert.equal(s.errors, 1);
  const o = new SyslogFrameSplitter({ mode: 'octet-counting' });
  assert.deepEqual(o.push(Buffer.from('5x hello\n5 world')).map(String), ['world']);
  assert.equal(o.errors, 1);
  const t = new SyslogFrameSplitter();
  t.push(Buffer.from('20 truncated'));
  assert.deepEqual(t.flush(), []);
  assert.equal(t.errors, 1);
});

test('CEF: header escapes, extension escapes, spaces and unescaped = in values', () => {
  const f = ok(parseCef('CEF:0|Ven\\|dor|Pro\\\\duct|1.0|100|Name with \\| pipe|7|src=10.0.0.1 msg=a\\=b c\\\\d\\ne request=http://x/?a=1&b=2 cs1=two  spaces  cs1Label=Lbl'));
  assert.equal(f.deviceVendor, 'Ven|dor');
  assert.equal(f.deviceProduct, 'Pro\\duct');
  assert.equal(f.name, 'Name with | pipe');
  assert.equal(f.msg, 'a=b c\\d\ne');
  assert.equal(f.request, 'http://x/?a=1&b=2');
  assert.equal(f.cs1, 'two  spaces');
  assert.equal(f.cs1Label, 'Lbl');
});

test('CEF: truncated and invalid input are parse errors', () => {
  for (const bad of ['', 'CEF:', 'CEF:0|a|b|c', 'CEF:0|a|b|c|d|e', 'CEF:x|a|b|c|d|e|f|', 'CEF:0|a|b|c|d|e|f|no pairs here', 'CEF:0|a|b|c|d|e|f|a=1\nCEF:0|a|b|c|d|e|f|']) {
    assert.equal(parseCef(bad).ok, false, JSON.stringify(bad));
  }
});

test('CEF: extension keys never overwrite header fields', () => {
  const f = ok(parseCef('CEF:0|Check Point|VPN-1|R81|Log|https|Unknown|name=ext version=5'));
  assert.equal(f.name, 'https');
  assert.equal(f['ext.name'], 'ext');
  assert.equal(f.version, '5');
});

test('LEEF: hex delimiters, quoted values, repeated keys, syslog prefix', () => {
  assert.equal(leefDelimiter('x09'), '\t');
  assert.equal(leefDelimiter('0x5E'), '^');
  assert.equal(leefDelimiter('^'), '^');
  assert.equal(leefDelimiter('nope'), null);
  const f = ok(parseLeef('<13>Jan 1 00:00:00 h LEEF:2.0|V|P|1|E|x7C|a=1|b="x|y"|a=2|c=d\\=e'));
  assert.equal(f.delimiter, '|');
  assert.equal(f.b, 'x|y');
  assert.deepEqual(f.a, ['1', '2']);
  assert.equal(f.c, 'd=e');
  assert.equal(f.syslogPrefix, '<13>Jan 1 00:00:00 h');
  assert.equal(parseLeef('LEEF:3.0|V|P|1|E|').ok, false);
  assert.equal(parseLeef('LEEF:1.0|V|P').ok, false);
});

test('JSON: nested objects, optional flattening, non-objects rejected', () => {
  const f = ok(parse('json', '{"user":{"name":"x"},"n":1}', { flatten: true }));
  assert.equal(f['user.name'], 'x');
  assert.equal(parse('json', '[1,2]').ok, false);
  assert.equal(parse('json', '{"a":').ok, false);
});

test('kv: quoting, escaped quotes, custom delimiters, unterminated quotes', () => {
  const f = ok(parseKv('a=1 b="two words" c=\'it\\\'s\' d= e=x=y'));
  assert.deepEqual(f, { a: '1', b: 'two words', c: "it's", d: '', e: 'x=y' });
  assert.deepEqual(ok(parseKv('k1:v1;k2:v 2', { pairDelimiter: ';', valueDelimiter: ':' })), { k1: 'v1', k2: 'v 2' });
  assert.equal(parseKv('a="open').ok, false);
  assert.equal(parseKv('no pairs').ok, false);
});

test('CSV: RFC 4180 quoting and errors', () => {
  assert.deepEqual(ok(parseCsv('a,"b,c","d ""q""",', { columns: ['x', 'y', 'z', 'w'] })), { x: 'a', y: 'b,c', z: 'd "q"', w: '' });
  assert.equal(parseCsv('a,"unterminated').ok, false);
  assert.equal(parseCsv('a,"x"y').ok, false);
});

test('XML: Windows event XML becomes System.* / EventData.* fields; bad XML is an error', () => {
  const f = ok(parseXml("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='P'/><EventID Qualifiers='0'>4624</EventID><Computer>H</Computer></System><EventData><Data Name='A'>1 &amp; 2</Data><Data>anon</Data></EventData></Event>"));
  assert.equal(f['System.EventID'], '4624');
  assert.equal(f['System.EventID.Qualifiers'], '0');
  assert.equal(f['System.Provider.Name'], 'P');
  assert.equal(f['EventData.A'], '1 & 2');
  assert.equal(f['EventData.Data1'], 'anon');
  for (const bad of ['<Event><System>', '<Event><System></Event>', '<a><b></a></b>', '<a x="1>t</a>', '<a>t</a', '<a><!-- open </a>', '<a><![CDATA[x</a>', 'x<a/>']) {
    assert.equal(parseXml(bad).ok, false, bad);
  }
  assert.deepEqual(ok(parseXml('<?xml version="1.0"?><!-- c --><a x="1>2"><![CDATA[<b>]]><c/></a>')), { a: '<b>', 'a.x': '1>2', 'a.c': '' });
  assert.equal(parseXml('not xml').ok, false);
});

test('regexp: (?P<name>) rewriting, no-match error, catastrophic patterns refused', () => {
  assert.equal(rewriteRe2('(?P<a>x)(?P=a)'), '(?<a>x)\\k<a>');
  assert.deepEqual(ok(parseRegexp('user=bob id=7', { pattern: 'user=(?P<user>\\w+) id=(?P<id>\\d+)' })), { user: 'bob', id: '7' });
  assert.equal(parseRegexp('zzz', { pattern: '(?P<a>x)' }).ok, false);
  assert.ok(looksCatastrophic('(a+)+$'));
  assert.ok(looksCatastrophic('(\\w+\\s?)*$'));
  assert.ok(!looksCatastrophic('(?P<a>\\w+) (?P<b>\\d+)'));
  assert.equal(parseRegexp('aaaa', { pattern: '(a+)+$' }).ok, false);
  assert.equal(parse('regexp', 'x', {}).ok, false);
  assert.deepEqual(ok(parseRegexp('USER=Bob', { pattern: '(?i)user=(?P<u>\\w+)' })), { u: 'Bob' });
});
