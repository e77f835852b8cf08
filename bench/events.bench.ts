// Event library throughput: parse + normalize EPS per core for syslog, CEF, LEEF and JSON, and
// Sigma evaluation EPS with 1,000 rules, routed and pre-filtered versus a naive baseline.
import type { BenchRow } from './lib.ts';
import { normalize, findSource, catalogue, loadSigmaRules, SigmaEngine, type NormalizerDef } from '../src/events/index.ts';

const SUITE = 'events';

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Runs `fn` over `inputs` repeatedly for about `ms` milliseconds of wall time and returns operations
 * per CPU-second of this process: "per core", and robust to other processes sharing the machine.
 */
function rate(inputs: string[] | Array<Record<string, unknown>>, fn: (x: never) => unknown, ms: number): number {
  // Warm-up so the JIT has compiled the hot path.
  for (let i = 0; i < 2000; i++) fn(inputs[i % inputs.length] as never);
  let n = 0;
  const start = performance.now();
  const cpu0 = cpuSeconds();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 200; i++) fn(inputs[n++ % inputs.length] as never);
  }
  return n / (cpuSeconds() - cpu0);
}

function variants(raw: string, count: number): string[] {
  // Vary digits so that no layer can cache one input.
  return Array.from({ length: count }, (_, i) => raw.replace(/\d(?=\d\d\b)/, String(i % 10)));
}

function normalizeRow(name: string, id: string, ms: number, goal = true): BenchRow {
  const entry = findSource(id);
  if (!entry) throw new Error(`catalogue entry ${id} missing`);
  const def: NormalizerDef = entry.normalizer;
  const inputs = variants(entry.samples[0].raw, 64);
  let failures = 0;
  const eps = rate(inputs, (raw: string) => {
    if (!normalize(def, raw).ok) failures++;
  }, ms);
  if (failures > 0) throw new Error(`${id}: ${failures} normalization failures`);
  return { suite: SUITE, name: `parse+normalize ${name}`, value: eps, unit: 'EPS/core', note: goal ? `${id}; goal ≥ 50,000` : id };
}

// ---- deterministic synthetic Sigma corpus, shaped like SigmaHQ's (mostly process_creation) ----
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOOLS = ['rundll32', 'regsvr32', 'mshta', 'certutil', 'bitsadmin', 'wmic', 'powershell', 'cmd', 'schtasks', 'reg', 'net', 'msiexec', 'cscript', 'wscript', 'installutil', 'msbuild', 'forfiles', 'bash', 'curl', 'python'];
const LOGSOURCES = [
  ['windows', 'process_creation', 0.62], ['windows', 'registry_set', 0.08], ['windows', 'file_event', 0.08], ['windows', 'ps_script', 0.06],
  ['linux', 'process_creation', 0.08], ['windows', 'network_connection', 0.04], ['windows', 'image_load', 0.04],
] as const;

export function buildRules(count: number): string {
  const rnd = prng(42);
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    let x = rnd();
    let ls: (typeof LOGSOURCES)[number] = LOGSOURCES[0];
    for (const l of LOGSOURCES) {
      if ((x -= l[2]) <= 0) {
        ls = l;
        break;
      }
    }
    const tool = TOOLS[i % TOOLS.length];
    const shape = rnd();
    let detection: string;
    if (shape < 0.55) {
      detection = `  selection:\n    Image|endswith: '\\\\${tool}.exe'\n    CommandLine|contains|all:\n      - ' -flag${i} '\n      - 'token${i % 500}'\n  filter_main:\n    ParentImage|startswith: 'C:\\\\Program Files\\\\'\n  condition: selection and not 1 of filter_*`;
    } else if (shape < 0.8) {
      detection = `  selection_img:\n    - Image|endswith: '\\\\${tool}.exe'\n    - OriginalFileName: '${tool}.exe'\n  selection_cli:\n    CommandLine|contains:\n      - 'payload${i}'\n      - 'stage${i}.'\n  condition: all of selection_*`;
    } else if (shape < 0.97) {
      detection = `  selection:\n    CommandLine|windash|contains: ' -opt${i} '\n  condition: selection`;
    } else {
      detection = `  selection:\n    CommandLine|re: '(?i)evil${i}[0-9]{2,}\\.exe'\n  condition: selection`;
    }
    docs.push(`title: Synthetic rule ${i}\nid: rule-${i}\nlogsource:\n  product: ${ls[0]}\n  category: ${ls[1]}\ndetection:\n${detection}\nlevel: medium\ntags: [attack.execution, attack.t1059]\n`);
  }
  return docs.join('---\n');
}

export function buildEvents(count: number): Array<Record<string, unknown>> {
  const rnd = prng(7);
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    // About 1 % of events carry the literals of one rule (so they match it); the rest is benign noise.
    const target = rnd() < 0.01 ? Math.floor(rnd() * 1000) : -1;
    const tool = target >= 0 ? TOOLS[target % TOOLS.length] : TOOLS[Math.floor(rnd() * TOOLS.length)];
    const hit = target >= 0 ? ` -flag${target} token${target % 500} payload${target} -opt${target} ` : '';
    out.push({
      EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: `WS-${1000 + (i % 300)}.corp.local`,
      UtcTime: '2024-11-28 11:43:00.108', ProcessGuid: `{8f0a1b2c-0000-0000-0000-${String(i).padStart(12, '0')}}`, ProcessId: 1000 + i,
      Image: `C:\\Windows\\System32\\${tool}.exe`, FileVersion: '10.0.19041.1', Description: `${tool} host`, Product: 'Microsoft® Windows® Operating System',
      Company: 'Microsoft Corporation', OriginalFileName: `${tool}.exe`, CommandLine: `${tool}.exe /c something-${i % 97} --config C:\\ProgramData\\app\\cfg${i % 13}.xml${hit}`,
      CurrentDirectory: 'C:\\Windows\\system32\\', User: 'CORP\\user' + (i % 50), LogonGuid: '{8f0a1b2c-0000-0000-0000-000000000001}', LogonId: '0x3e7',
      TerminalSessionId: 1, IntegrityLevel: 'Medium', Hashes: 'MD5=7353F60B1739074EB17C5F4DDDEFE239,SHA256=DE96A6E69944335375DC1AC238336066889D9FFC7D73628EF4FE1B1B160AB32C',
      ParentProcessGuid: '{8f0a1b2c-0000-0000-0000-000000000002}', ParentProcessId: 4412, ParentImage: 'C:\\Windows\\explorer.exe', ParentCommandLine: 'C:\\Windows\\Explorer.EXE',
    });
  }
  return out;
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const ms = 1500;
  rows.push(normalizeRow('syslog (RFC 3164 + regexp)', 'linux-sshd', ms));
  rows.push(normalizeRow('syslog (RFC 5424 + SD)', 'juniper-srx', ms));
  rows.push(normalizeRow('CEF', 'kaspersky-ksc', ms));
  rows.push(normalizeRow('LEEF', 'checkpoint-leef', ms));
  rows.push(normalizeRow('JSON', 'suricata-eve', ms));
  rows.push(normalizeRow('Windows XML', 'windows-security', ms, false));
  // Mixed workloads: every catalogue sample of a format in turn, each with its own normalizer.
  const mixRow = (name: string, pick: (kind: string) => boolean) => {
    const mix = catalogue.filter((e) => pick(e.normalizer.parser.kind)).flatMap((e) => e.samples.map((smp) => ({ def: e.normalizer, raw: smp.raw })));
    const idx = mix.map((_, i) => String(i));
    const eps = rate(idx, (i: string) => normalize(mix[Number(i)].def, mix[Number(i)].raw), ms);
    rows.push({ suite: SUITE, name: `parse+normalize ${name}`, value: eps, unit: 'EPS/core', note: `${mix.length} catalogue samples` });
  };
  mixRow('syslog mix (all syslog vendors)', (k) => k === 'syslog');
  mixRow('CEF mix (all CEF vendors)', (k) => k === 'cef');
  mixRow('JSON mix (all JSON sources)', (k) => k === 'json');
  mixRow('whole catalogue mix (incl. XML)', () => true);
  const loadStart = performance.now();
  const loaded = loadSigmaRules(buildRules(1000), 'synthetic.yml');
  if (loaded.errors.length) throw new Error(`rule errors: ${loaded.errors[0].message}`);
  rows.push({ suite: SUITE, name: 'Sigma load+compile 1,000 rules', value: performance.now() - loadStart, unit: 'ms' });
  const events = buildEvents(5000);
  const ls = { product: 'windows', category: 'process_creation' };
  const routed = new SigmaEngine(loaded.rules);
  const routedIds = new Set(loaded.rules.filter((r) => r.logsource.product === 'windows' && r.logsource.category === 'process_creation').map((r) => r.id));
  const naive = new SigmaEngine(loaded.rules, { routing: false, prefilter: false });
  let matchesRouted = 0;
  let matchesNaive = 0;
  const fast = rate(events, (e: Record<string, unknown>) => (matchesRouted += routed.evaluate(e, ls).length), 3000);
  const slow = rate(events, (e: Record<string, unknown>) => (matchesNaive += naive.evaluate(e, ls).length), 3000);
  // Same rule set, same events: both engines must agree on what matches.
  const ids = (ms: Array<{ ruleId: string }>) => ms.map((m) => m.ruleId).sort().join(',');
  const agree = events.slice(0, 200).every((e) => ids(routed.evaluate(e, ls)) === ids(naive.evaluate(e, ls).filter((m) => routedIds.has(m.ruleId))));
  rows.push({ suite: SUITE, name: 'Sigma 1,000 rules, routed + pre-filter', value: fast, unit: 'EPS/core', note: `goal ≥ 10,000; ${matchesRouted} matches; same matches as naive: ${agree}` });
  rows.push({ suite: SUITE, name: 'Sigma 1,000 rules, naive (no routing, no pre-filter)', value: slow, unit: 'EPS/core', note: `${matchesNaive} matches` });
  rows.push({ suite: SUITE, name: 'Sigma routed / naive speed-up', value: fast / slow, unit: '×' });
  return rows;
}
