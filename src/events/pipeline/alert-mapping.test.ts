import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertFromMatch, observablesOf, severityOf, DEDUPE_WINDOW_MS } from './alert-mapping.ts';
import { logSourceFor } from './logsource.ts';
import { splitDocuments, parseRuleFile } from '../rules/import.ts';
import type { Match } from '../sigma/index.ts';

test('Sigma levels map to alert severities', () => {
  assert.deepEqual(['informational', 'low', 'medium', 'high', 'critical'].map(severityOf), ['low', 'low', 'medium', 'high', 'critical']);
});

test('observables come from the normalized fields; hashes are typed by length; invalid values are skipped', () => {
  const obs = observablesOf({
    SourceAddress: '10.0.0.1',
    DestinationAddress: 'not an ip',
    DestinationHostName: 'evil.example.com',
    RequestUrl: 'http://evil.example.com/x',
    FileHash: 'd41d8cd98f00b204e9800998ecf8427e',
    SourceUserName: 'alice',
    DestinationUserName: 'alice',
  });
  assert.deepEqual(obs, [
    { type: 'ip', value: '10.0.0.1' },
    { type: 'domain', value: 'evil.example.com' },
    { type: 'url', value: 'http://evil.example.com/x' },
    { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' },
    { type: 'userName', value: 'alice' },
  ]);
  assert.equal(observablesOf({ FileHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })[0].type, 'sha256');
});

test('one rule, one group, one 5-minute slot → one sourceId; another slot or group → another', () => {
  const m: Match = { ruleId: 'r1', title: 'T', level: 'high', tags: [], techniques: ['T1110'], tactics: ['credential-access'], logsource: {}, event: {} };
  const at = 10 * DEDUPE_WINDOW_MS;
  const id = (time: number, ip: string) => alertFromMatch(m, { event: { SourceAddress: ip }, time, collectorId: 'c', sourceId: 's' }).sourceId;
  assert.equal(id(at + 1, '1.1.1.1'), id(at + DEDUPE_WINDOW_MS - 1, '1.1.1.1'));
  assert.notEqual(id(at + 1, '1.1.1.1'), id(at + DEDUPE_WINDOW_MS, '1.1.1.1'));
  assert.notEqual(id(at + 1, '1.1.1.1'), id(at + 1, '2.2.2.2'));
});

test('log sources: catalogue ids and Windows event ids', () => {
  assert.deepEqual(logSourceFor('linux-sshd', {}), { product: 'linux', service: 'sshd' });
  assert.deepEqual(logSourceFor('windows-security', { EventID: '4688' }), { product: 'windows', service: 'security', category: 'process_creation' });
  assert.deepEqual(logSourceFor('windows-sysmon', { EventID: 1 }), { product: 'windows', service: 'sysmon', category: 'process_creation' });
});

test('a file splits into its documents; an error names the rule and its line in the file', () => {
  assert.deepEqual(splitDocuments('a: 1\n---\n# only a comment\n---\nb: 2\n'), ['a: 1', 'b: 2\n']);
  const text = 'title: A\nid: a\nlogsource: {product: x}\ndetection: {s: {f: 1}, condition: s}\n---\ntitle: B\nid: b\nlogsource: {product: x}\ndetection:\n  s: {f: 1}\n  condition: s and nothing\n';
  assert.throws(() => parseRuleFile(text, 'f.yml'), (err: Error) => /rule "B" line 1[01]/.test(err.message));
  const ok = parseRuleFile(text.replace(' and nothing', ''), 'f.yml');
  assert.deepEqual(ok.map((d) => [d.ruleId, d.title]), [['a', 'A'], ['b', 'B']]);
});
