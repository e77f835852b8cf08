// The library end to end: raw event → normalizer (catalogue) → original fields → Sigma match →
// correlation alert with MITRE techniques and observables taken from the normalized event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalize, findSource, loadSigmaRules, SigmaEngine, CorrelationEngine, WINDOWS_FIELD_MAPPING } from './index.ts';

const RULES = `title: Office application spawning a shell
id: 5d1c2b4a-0000-4000-8000-000000000001
status: test
logsource:
  product: windows
  category: process_creation
detection:
  selection_parent:
    ParentProcessName|endswith: ['\\\\winword.exe', '\\\\excel.exe']
  selection_child:
    NewProcessName|endswith: '\\\\cmd.exe'
  condition: all of selection_*
level: high
tags: [attack.execution, attack.t1204.002]
---
title: SSH failed password
id: ssh-failed
name: ssh_failed
logsource: {product: linux, service: sshd}
detection:
  selection:
    appname: sshd
    message|startswith: 'Failed password'
  condition: selection
level: low
tags: [attack.credential_access, attack.t1110.001]
---
title: SSH brute force
id: ssh-brute
correlation:
  type: event_count
  rules: [ssh_failed]
  group-by: [src]
  timespan: 5m
  condition: {gte: 3}
level: high
tags: [attack.credential_access, attack.t1110]
`;

test('Windows XML 4688 → normalized event + Sigma match via the Windows field mapping', () => {
  const source = findSource('windows-security')!;
  const sample = source.samples.find((s) => s.raw.includes('<EventID>4688<'))!;
  const n = normalize(source.normalizer, sample.raw);
  assert.ok(n.ok);
  if (!n.ok) return;
  const { rules, errors } = loadSigmaRules(RULES, 'pipeline.yml');
  assert.deepEqual(errors, []);
  const engine = new SigmaEngine(rules, { fieldMappings: [WINDOWS_FIELD_MAPPING] });
  const matches = engine.evaluate(n.original, { product: 'windows', category: 'process_creation' });
  assert.deepEqual(matches.map((m) => [m.title, m.techniques, m.tactics]), [['Office application spawning a shell', ['T1204.002'], ['execution']]]);
  assert.equal(n.event.SourceUserName, 'a.petrova');
});

test('sshd syslog lines → Sigma matches → one brute-force correlation alert with the source address', () => {
  const source = findSource('linux-sshd')!;
  const loaded = loadSigmaRules(RULES, 'pipeline.yml');
  const engine = new SigmaEngine(loaded.rules);
  const corr = new CorrelationEngine(loaded.correlations);
  const alerts = [];
  for (let i = 0; i < 4; i++) {
    const n = normalize(source.normalizer, `<38>Nov 28 11:10:0${i} web01 sshd[2301${i}]: Failed password for root from 218.92.0.107 port 4152${i} ssh2`);
    assert.ok(n.ok);
    if (!n.ok) return;
    for (const m of engine.evaluate(n.original, { product: 'linux', service: 'sshd' })) alerts.push(...corr.push(m, Date.UTC(2024, 10, 28, 11, 10, i)));
  }
  assert.equal(alerts.length, 1);
  assert.deepEqual([alerts[0].correlationId, alerts[0].groupBy, alerts[0].value, alerts[0].techniques], ['ssh-brute', { src: '218.92.0.107' }, 3, ['T1110']]);
  // Observables come from the normalized view of the base events.
  const n = normalize(source.normalizer, alerts[0].matches[0].event.message === undefined ? '' : `<38>Nov 28 11:10:00 web01 sshd[1]: ${String(alerts[0].matches[0].event.message)}`);
  assert.ok(n.ok && n.event.SourceAddress === '218.92.0.107');
});
