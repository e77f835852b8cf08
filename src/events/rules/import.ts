// Turns an uploaded Sigma YAML file (one document or several separated by `---`) into one stored
// rule per document, after validating the whole file so errors name the rule and its line.
import { badRequest } from '../../platform/errors.ts';
import { loadSigmaRules } from '../sigma/index.ts';
import type { LoadError } from '../sigma/index.ts';

export interface ParsedRuleDoc {
  ruleId: string;
  kind: 'rule' | 'correlation' | 'filter';
  title: string;
  level: string;
  /** The document's own YAML text, stored as is so the rule can be exported unchanged. */
  sigma: string;
}

/** Splits on document separators, keeping each document's text; blank/comment-only ones are skipped. */
export function splitDocuments(text: string): string[] {
  const docs: string[] = [];
  let current: string[] = [];
  const flush = () => {
    const body = current.join('\n');
    if (body.split('\n').some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))) docs.push(body);
    current = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (/^---\s*$/.test(line)) flush();
    else current.push(line);
  }
  flush();
  return docs;
}

/** Validates and splits; throws a 400 whose message names the first failing rule and line, with every error in details. */
export function parseRuleFile(text: string, fileName: string): ParsedRuleDoc[] {
  const whole = loadSigmaRules(text, fileName);
  if (whole.errors.length) throw importError(whole.errors);
  const out: ParsedRuleDoc[] = [];
  const seen = new Set<string>();
  for (const doc of splitDocuments(text)) {
    const r = loadSigmaRules(doc, fileName);
    const item = r.rules[0] ?? r.correlations[0] ?? r.filters[0];
    if (!item) continue;
    if (seen.has(item.id)) throw importError([{ rule: item.title || item.id, line: item.line, message: `duplicate rule id "${item.id}" in the file` }]);
    seen.add(item.id);
    out.push({ ruleId: item.id, kind: item.kind, title: item.title, level: 'level' in item ? item.level : 'informational', sigma: doc });
  }
  if (out.length === 0) throw badRequest(`${fileName}: no Sigma rule in the file`);
  return out;
}

function importError(errors: LoadError[]) {
  const first = errors[0];
  return badRequest(`rule "${first.rule}" line ${first.line}: ${first.message}`, { errors });
}
