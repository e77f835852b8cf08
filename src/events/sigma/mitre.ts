// MITRE ATT&CK tags: `attack.t1059.001` → technique T1059.001; `attack.execution` → tactic.
const TACTICS = new Set([
  'reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence', 'privilege-escalation', 'defense-evasion',
  'credential-access', 'discovery', 'lateral-movement', 'collection', 'command-and-control', 'exfiltration', 'impact',
]);

export function mitreFromTags(tags: readonly string[]): { techniques: string[]; tactics: string[] } {
  const techniques: string[] = [];
  const tactics: string[] = [];
  for (const raw of tags) {
    const tag = raw.toLowerCase();
    if (!tag.startsWith('attack.')) continue;
    const rest = tag.slice(7);
    if (/^t\d{4}(\.\d{3})?$/.test(rest)) techniques.push(rest.toUpperCase());
    else if (TACTICS.has(rest.replace(/_/g, '-'))) tactics.push(rest.replace(/_/g, '-'));
  }
  return { techniques, tactics };
}
