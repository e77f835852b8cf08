// Sigma semantics: modifiers, wildcards and escaping, null, keywords, the condition grammar,
// filters, field mappings and routing, loader errors with lines, and the pre-filter's soundness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadSigmaRules } from './loader.ts';
import { SigmaEngine } from './engine.ts';
import { base64offset, windash } from './modifiers.ts';
import { mitreFromTags } from './mitre.ts';

const LS = { product: 'windows', category: 'process_creation' };

function ruleYaml(detection: string, extra = ''): string {
  return `title: T\nid: r1\nlogsource:\n  product: windows\n  category: process_creation\n${extra}detection:\n${detection.replace(/^/gm, '  ')}\n`;
}

/** Does the detection match the event? */
function hits(detection: string, event: Record<string, unknown>, opts: ConstructorParameters<typeof SigmaEngine>[1] = {}): boolean {
  const r = loadSigmaRules(ruleYaml(detection), 't.yml');
  assert.deepEqual(r.errors, []);
  return new SigmaEngine(r.rules, opts).evaluate(event, LS).length === 1;
}

test('plain values are case-insensitive equality; numbers compare as text; lists are OR', () => {
  assert.ok(hits('sel:\n  Image: C:\\Windows\\cmd.exe\ncondition: sel', { Image: 'c:\\windows\\CMD.EXE' }));
  assert.ok(!hits('sel:\n  Image: cmd.exe\ncondition: sel', { Image: 'c:\\windows\\cmd.exe' }));
  assert.ok(hits('sel:\n  EventID: 4688\ncondition: sel', { EventID: '4688' }));
  assert.ok(hits('sel:\n  EventID: [4624, 4625]\ncondition: sel', { EventID: 4625 }));
  assert.ok(hits('sel:\n  Tags: b\ncondition: sel', { Tags: ['a', 'b'] }));
});

test('contains, startswith, endswith and |all', () => {
  const ev = { CommandLine: 'powershell.exe -NoProfile -EncodedCommand AAAA' };
  assert.ok(hits("sel:\n  CommandLine|contains: '-encodedcommand'\ncondition: sel", ev));
  assert.ok(hits("sel:\n  CommandLine|startswith: 'POWERSHELL'\ncondition: sel", ev));
  assert.ok(hits("sel:\n  CommandLine|endswith: ' aaaa'\ncondition: sel", ev));
  assert.ok(hits("sel:\n  CommandLine|contains|all: ['-noprofile', '-enc']\ncondition: sel", ev));
  assert.ok(!hits("sel:\n  CommandLine|contains|all: ['-noprofile', '-windowstyle']\ncondition: sel", ev));
  assert.ok(hits("sel:\n  CommandLine|contains: ['-windowstyle', '-noprofile']\ncondition: sel", ev));
});

test('wildcards * and ?, and the escaping rules', () => {
  assert.ok(hits("sel:\n  Image: '*\\\\cmd.exe'\ncondition: sel", { Image: 'C:\\x\\cmd.exe' }));
  assert.ok(hits("sel:\n  Image: 'c?d.exe'\ncondition: sel", { Image: 'cmd.exe' }));
  assert.ok(!hits("sel:\n  Image: 'c?d.exe'\ncondition: sel", { Image: 'cmmd.exe' }));
  // \* is a literal star
  assert.ok(hits("sel:\n  Value: 'a\\*b'\ncondition: sel", { Value: 'a*b' }));
  assert.ok(!hits("sel:\n  Value: 'a\\*b'\ncondition: sel", { Value: 'axxb' }));
  // \\* is a backslash followed by a wildcard
  assert.ok(hits("sel:\n  Value: 'a\\\\*'\ncondition: sel", { Value: 'a\\anything' }));
  // \\\* is a literal backslash then a literal star
  assert.ok(hits("sel:\n  Value: 'a\\\\\\*'\ncondition: sel", { Value: 'a\\*' }));
  assert.ok(!hits("sel:\n  Value: 'a\\\\\\*'\ncondition: sel", { Value: 'a\\x' }));
  // a lone backslash before another character is literal
  assert.ok(hits("sel:\n  Value: 'C:\\Windows\\'\ncondition: sel", { Value: 'c:\\windows\\' }));
});

test('null means absent or empty; |exists checks presence', () => {
  assert.ok(hits('sel:\n  User: null\ncondition: sel', {}));
  assert.ok(hits('sel:\n  User: null\ncondition: sel', { User: '' }));
  assert.ok(!hits('sel:\n  User: null\ncondition: sel', { User: 'x' }));
  assert.ok(hits('sel:\n  User|exists: true\ncondition: sel', { User: 'x' }));
  assert.ok(hits('sel:\n  User|exists: false\ncondition: sel', { Other: 1 }));
  assert.ok(!hits('sel:\n  User|exists: false\ncondition: sel', { User: '' }));
});

test('|re with i, m, s sub-modifiers is case-sensitive by default', () => {
  assert.ok(hits("sel:\n  CommandLine|re: 'Invoke-\\w+'\ncondition: sel", { CommandLine: 'x Invoke-Mimikatz' }));
  assert.ok(!hits("sel:\n  CommandLine|re: 'invoke-\\w+'\ncondition: sel", { CommandLine: 'x Invoke-Mimikatz' }));
  assert.ok(hits("sel:\n  CommandLine|re|i: 'invoke-\\w+'\ncondition: sel", { CommandLine: 'x Invoke-Mimikatz' }));
  assert.ok(hits("sel:\n  Text|re|m: '^second$'\ncondition: sel", { Text: 'first\nsecond' }));
  assert.ok(hits("sel:\n  Text|re|s: 'first.second'\ncondition: sel", { Text: 'first\nsecond' }));
  assert.ok(!hits("sel:\n  Text|re: 'first.second'\ncondition: sel", { Text: 'first\nsecond' }));
});

test('|windash expands - and / into every dash variant', () => {
  assert.deepEqual(windash('-enc').length, 5);
  assert.ok(windash('x -enc /y').includes('x /enc \u2013y'));
  for (const cl of ['ps -enc x', 'ps /enc x', 'ps \u2013enc x', 'ps \u2014enc x', 'ps \u2015enc x']) assert.ok(hits("sel:\n  CommandLine|windash|contains: ' -enc '\ncondition: sel", { CommandLine: cl }), cl);
  assert.ok(!hits("sel:\n  CommandLine|windash|contains: ' -enc '\ncondition: sel", { CommandLine: 'ps +enc x' }));
});

test('|cidr for IPv4 and IPv6', () => {
  assert.ok(hits("sel:\n  DestinationIp|cidr: ['10.0.0.0/8', '192.168.0.0/16']\ncondition: sel", { DestinationIp: '10.20.30.40' }));
  assert.ok(!hits("sel:\n  DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel", { DestinationIp: '11.0.0.1' }));
  assert.ok(hits("sel:\n  DestinationIp|cidr: 'fe80::/10'\ncondition: sel", { DestinationIp: 'fe80::1ff:fe23:4567:890a' }));
  assert.ok(!hits("sel:\n  DestinationIp|cidr: 'fe80::/10'\ncondition: sel", { DestinationIp: 'not-an-ip' }));
});

test('|base64, |base64offset and the UTF-16 encodings', () => {
  assert.ok(hits("sel:\n  CommandLine|base64: 'http://'\ncondition: sel", { CommandLine: Buffer.from('http://').toString('base64') }));
  assert.ok(hits("sel:\n  CommandLine|base64|contains: 'http://'\ncondition: sel", { CommandLine: `x ${Buffer.from('http://').toString('base64')} y` }));
  // base64offset finds the value at any of the three byte alignments inside a larger blob.
  for (const prefix of ['', 'a', 'ab', 'abc']) {
    const blob = Buffer.from(`${prefix}Invoke-Expression(foo)`).toString('base64');
    assert.ok(hits("sel:\n  CommandLine|base64offset|contains: 'Invoke-Expression'\ncondition: sel", { CommandLine: `-enc ${blob}` }), prefix);
  }
  assert.equal(base64offset(Buffer.from('http')).length, 3);
  // The same three strings pySigma generates (as seen in SigmaHQ's converted rules).
  assert.deepEqual(base64offset(Buffer.from('IEX ([')), ['SUVYIChb', 'lFWCAoW', 'JRVggKF']);
  assert.deepEqual(base64offset(Buffer.from('::FromBase64String', 'utf16le')), [
    'OgA6AEYAcgBvAG0AQgBhAHMAZQA2ADQAUwB0AHIAaQBuAGcA', 'oAOgBGAHIAbwBtAEIAYQBzAGUANgA0AFMAdAByAGkAbgBnA', '6ADoARgByAG8AbQBCAGEAcwBlADYANABTAHQAcgBpAG4AZw',
  ]);
  // PowerShell -EncodedCommand is base64 of UTF-16LE.
  for (const prefix of ['', 'x', 'xy']) {
    const ps = Buffer.from(`${prefix}IEX (New-Object Net.WebClient)`, 'utf16le').toString('base64');
    assert.ok(hits("sel:\n  CommandLine|wide|base64offset|contains: 'IEX ('\ncondition: sel", { CommandLine: `powershell -enc ${ps}` }), prefix);
    assert.ok(hits("sel:\n  CommandLine|utf16le|base64offset|contains: 'IEX ('\ncondition: sel", { CommandLine: `powershell -enc ${ps}` }), prefix);
  }
  const be = Buffer.from('AB', 'utf16le').swap16().toString('base64');
  assert.ok(hits("sel:\n  Data|utf16be|base64: 'AB'\ncondition: sel", { Data: be }));
  const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('AB', 'utf16le')]).toString('base64');
  assert.ok(hits("sel:\n  Data|utf16|base64: 'AB'\ncondition: sel", { Data: bom }));
});

test('|cased, |neq, numeric comparisons and |fieldref', () => {
  assert.ok(hits("sel:\n  Name|cased: 'Admin'\ncondition: sel", { Name: 'Admin' }));
  assert.ok(!hits("sel:\n  Name|cased: 'Admin'\ncondition: sel", { Name: 'admin' }));
  assert.ok(hits("sel:\n  Name|neq: 'admin'\ncondition: sel", { Name: 'guest' }));
  assert.ok(!hits("sel:\n  Name|neq: 'admin'\ncondition: sel", { Name: 'ADMIN' }));
  assert.ok(hits('sel:\n  Count|gt: 10\ncondition: sel', { Count: '11' }));
  assert.ok(!hits('sel:\n  Count|gt: 10\ncondition: sel', { Count: 10 }));
  assert.ok(hits('sel:\n  Count|gte: 10\ncondition: sel', { Count: 10 }));
  assert.ok(hits('sel:\n  Count|lt: 10\ncondition: sel', { Count: 9.5 }));
  assert.ok(hits('sel:\n  Count|lte: 10\ncondition: sel', { Count: 10 }));
  assert.ok(!hits('sel:\n  Count|lt: 10\ncondition: sel', { Count: 'abc' }));
  assert.ok(hits('sel:\n  SourceUser|fieldref: TargetUser\ncondition: sel', { SourceUser: 'Bob', TargetUser: 'bob' }));
  assert.ok(!hits('sel:\n  SourceUser|fieldref: TargetUser\ncondition: sel', { SourceUser: 'bob', TargetUser: 'alice' }));
  assert.ok(hits('sel:\n  ParentCommandLine|fieldref|contains: Image\ncondition: sel', { ParentCommandLine: 'c:\\a\\b.exe -x', Image: 'c:\\a\\b.exe' }));
});

test('|expand resolves placeholders from the engine configuration', () => {
  const det = "sel:\n  User|expand: '%Admins%'\ncondition: sel";
  assert.ok(hits(det, { User: 'root' }, { placeholders: { Admins: ['admin', 'root'] } }));
  assert.ok(!hits(det, { User: 'guest' }, { placeholders: { Admins: ['admin', 'root'] } }));
  assert.ok(!hits(det, { User: 'root' }, {}));
});

test('keyword lists search every value of the event', () => {
  assert.ok(hits("keywords:\n  - 'mimikatz'\n  - 'sekurlsa'\ncondition: keywords", { a: 'x', b: { c: 'run SEKURLSA::logonpasswords' } }));
  assert.ok(!hits("keywords:\n  - 'mimikatz'\ncondition: keywords", { a: 'harmless' }));
});

test('condition grammar: precedence, parentheses, 1 of / all of patterns, them without _ identifiers', () => {
  const sel = 'a:\n  A: 1\nb:\n  B: 1\nc:\n  C: 1\n';
  assert.ok(hits(`${sel}condition: a or b and c`, { A: 1 }));
  assert.ok(!hits(`${sel}condition: (a or b) and c`, { A: 1 }));
  assert.ok(hits(`${sel}condition: not a and b`, { B: 1 }));
  assert.ok(!hits(`${sel}condition: not (a or b)`, { B: 1 }));
  const sels = 'selection_1:\n  A: 1\nselection_2:\n  B: 1\n_helper:\n  H: 1\nfilter_x:\n  F: 1\n';
  assert.ok(hits(`${sels}condition: 1 of selection_* and not 1 of filter_*`, { B: 1 }));
  assert.ok(!hits(`${sels}condition: all of selection_*`, { B: 1 }));
  assert.ok(hits(`${sels}condition: all of selection_*`, { A: 1, B: 1 }));
  assert.ok(hits(`${sels}condition: all of them`, { A: 1, B: 1, F: 1 }), '_helper is excluded from them');
  assert.ok(!hits(`${sels}condition: 1 of them`, { H: 1 }));
  assert.ok(hits(`${sels}condition: _helper`, { H: 1 }));
  assert.ok(hits(`${sel}condition:\n  - a\n  - b`, { B: 1 }), 'a list of conditions is ORed');
  assert.ok(hits(`sel:\n  - A: 1\n    B: 1\n  - C: 1\ncondition: sel`, { C: 1 }), 'a list of maps is an OR of ANDs');
});

test('loader errors name the rule and the line; valid documents in the same file still load', () => {
  const text = [
    'title: Good', 'id: g1', 'logsource: {product: windows}', 'detection:', '  sel:', '    A: 1', '  condition: sel', '---',
    'title: Bad modifier', 'logsource: {product: windows}', 'detection:', '  sel:', '    A|frobnicate: 1', '  condition: sel', '---',
    'title: Bad condition', 'logsource: {product: windows}', 'detection:', '  sel:', '    A: 1', '  condition: sel and missing', '---',
    'title: Bad regex', 'logsource: {product: windows}', 'detection:', '  sel:', "    A|re: '(unclosed'", '  condition: sel', '---',
    'title: [broken yaml',
  ].join('\n');
  const r = loadSigmaRules(text, 'mixed.yml');
  assert.equal(r.rules.length, 1);
  assert.deepEqual(r.errors.map((e) => [e.rule, e.line]), [['Bad modifier', 13], ['Bad condition', 21], ['Bad regex', 27], ['mixed.yml#5', 30]]);
  assert.match(r.errors[0].message, /unknown modifier \|frobnicate/);
  assert.match(r.errors[1].message, /unknown search identifier "missing"/);
  const agg = loadSigmaRules(ruleYaml('sel:\n  A: 1\ncondition: sel | count() > 5'), 'old.yml');
  assert.match(agg.errors[0].message, /correlation rule/);
});

test('meta filters exclude benign events from the rules they name', () => {
  const rule = loadSigmaRules(ruleYaml("sel:\n  Image|endswith: '\\\\rundll32.exe'\ncondition: sel"), 'r.yml').rules;
  const f = loadSigmaRules("title: Ignore backup agent\nid: f1\nlogsource: {product: windows, category: process_creation}\nfilter:\n  rules: [r1]\n  selection:\n    ParentImage|endswith: '\\\\backupagent.exe'\n  condition: selection\n", 'f.yml');
  assert.deepEqual(f.errors, []);
  const engine = new SigmaEngine(rule, { filters: f.filters });
  assert.equal(engine.evaluate({ Image: 'C:\\w\\rundll32.exe', ParentImage: 'C:\\x\\explorer.exe' }, LS).length, 1);
  assert.equal(engine.evaluate({ Image: 'C:\\w\\rundll32.exe', ParentImage: 'C:\\x\\BackupAgent.exe' }, LS).length, 0);
});

test('routing by log source and field mappings per log source', () => {
  const r = loadSigmaRules(ruleYaml('sel:\n  CommandLine|contains: whoami\ncondition: sel', 'tags: [attack.discovery, attack.t1033]\nlevel: high\n'), 'r.yml');
  const engine = new SigmaEngine(r.rules, { fieldMappings: [{ logsource: { product: 'windows' }, map: { CommandLine: ['EventData.CommandLine', 'process.command_line'] } }] });
  const m = engine.evaluate({ 'EventData.CommandLine': 'cmd /c whoami' }, LS);
  assert.equal(m.length, 1);
  assert.deepEqual([m[0].ruleId, m[0].level, m[0].techniques, m[0].tactics], ['r1', 'high', ['T1033'], ['discovery']]);
  assert.equal(engine.evaluate({ process: { command_line: 'whoami' } }, LS).length, 1);
  assert.equal(engine.evaluate({ 'EventData.CommandLine': 'whoami' }, { product: 'linux', category: 'process_creation' }).length, 0);
  assert.equal(engine.evaluate({ 'EventData.CommandLine': 'whoami' }, { product: 'windows' }).length, 0, 'rule needs the category');
});

test('MITRE tags become technique ids and tactics', () => {
  assert.deepEqual(mitreFromTags(['attack.t1059.001', 'attack.execution', 'attack.credential_access', 'cve.2021-44228', 'attack.g0016']), { techniques: ['T1059.001'], tactics: ['execution', 'credential-access'] });
});

test('the literal pre-filter never changes results (property)', () => {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'cmd.exe', 'powershell', '-enc', 'whoami', 'x'];
  const mods = ['', '|contains', '|startswith', '|endswith', '|contains|all', '|re', '|neq'];
  const fields = ['A', 'B', 'C'];
  const arbRule = fc.record({
    sels: fc.array(fc.record({ field: fc.constantFrom(...fields), mod: fc.constantFrom(...mods), values: fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
    cond: fc.constantFrom('all of sel*', '1 of sel*', 'sel0 and not 1 of sel*', 'not sel0'),
  });
  fc.assert(
    fc.property(fc.array(arbRule, { minLength: 1, maxLength: 8 }), fc.array(fc.record({ A: fc.constantFrom(...words, 'CMD.EXE /c whoami'), B: fc.constantFrom(...words), C: fc.string({ maxLength: 12 }) }), { minLength: 1, maxLength: 5 }), (rules, events) => {
      const yaml = rules
        .map((r, i) => {
          const det = r.sels.map((s, j) => `  sel${j}:\n    ${s.field}${s.mod}: [${s.values.map((v) => JSON.stringify(v)).join(', ')}]`).join('\n');
          const cond = r.cond.includes('sel0') || r.sels.length > 0 ? r.cond : 'sel0';
          return `title: R${i}\nid: r${i}\nlogsource: {product: p}\ndetection:\n${det}\n  condition: ${cond}\n`;
        })
        .join('---\n');
      const loaded = loadSigmaRules(yaml, 'p.yml');
      const fast = new SigmaEngine(loaded.rules);
      const naive = new SigmaEngine(loaded.rules, { routing: false, prefilter: false });
      for (const ev of events) {
        const a = fast.evaluate(ev, { product: 'p' }).map((m) => m.ruleId).sort();
        const b = naive.evaluate(ev, { product: 'p' }).map((m) => m.ruleId).sort();
        assert.deepEqual(a, b);
      }
    }),
    { numRuns: 200 },
  );
});

test('the loader never throws on random YAML-ish text (property)', () => {
  const pieces = ['title: x\n', 'logsource: {product: p}\n', 'detection:\n', '  sel:\n', '    A|contains: [a, b]\n', '    B|re: "(x"\n', '  condition: sel and not\n', '  condition: 1 of them\n', 'correlation:\n  type: event_count\n', '---\n', '  - [\n', ': :\n', '{{', 'level: bogus\n', '    C|cidr: 10.0.0.0/33\n', '    D|expand: "%x%"\n'];
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 20 })), { maxLength: 25 }), (parts) => {
      const r = loadSigmaRules(parts.join(''), 'fuzz.yml');
      for (const e of r.errors) assert.ok(Number.isInteger(e.line) && e.line >= 1 && typeof e.message === 'string');
      const engine = new SigmaEngine(r.rules);
      engine.evaluate({ A: 'a', B: 'x', C: '10.0.0.1' }, { product: 'p' });
    }),
    { numRuns: 400 },
  );
});
