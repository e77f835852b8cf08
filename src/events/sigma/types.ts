// Compiled Sigma structures: predicate trees evaluated against an event's original fields.

export interface LogSource {
  product?: string;
  category?: string;
  service?: string;
}

/** What a leaf needs at evaluation time. */
export interface EvalContext {
  /** Value of a Sigma field name in the event (field mappings applied). */
  get(field: string): unknown;
  /** The field's value(s) as strings (arrays element-wise), lower-cased if asked; cached per event. */
  strings(field: string, lower: boolean): readonly string[] | undefined;
  /** All string values of the event, lower-cased, for keyword search. */
  values(): string[];
  /** Placeholder values for the `expand` modifier. */
  placeholders: Readonly<Record<string, readonly string[]>>;
}

export type Node =
  | { t: 'and'; c: Node[] }
  | { t: 'or'; c: Node[] }
  | { t: 'not'; c: Node }
  | { t: 'const'; v: boolean }
  | { t: 'leaf'; test: (ctx: EvalContext) => boolean; /** lower-cased substrings of which one must occur when this leaf matches (null = unknown) */ witness: string[] | null };

/** Pre-filter requirement in conjunctive form: every group needs one of its literals in the event. */
export type Witness = string[][];

export interface SigmaRule {
  kind: 'rule';
  id: string;
  name?: string;
  title: string;
  level: string;
  status?: string;
  tags: string[];
  logsource: LogSource;
  condition: Node;
  fileName: string;
  line: number;
  falsepositives?: string[];
}

export interface SigmaCorrelation {
  kind: 'correlation';
  id: string;
  name?: string;
  title: string;
  level: string;
  tags: string[];
  type: 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  condition: { op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq'; value: number } | null;
  field?: string;
  aliases: Record<string, Record<string, string>>;
  generate: boolean;
  fileName: string;
  line: number;
}

export interface SigmaFilter {
  kind: 'filter';
  id: string;
  title: string;
  logsource: LogSource;
  rules: string[];
  condition: Node;
  fileName: string;
  line: number;
}

export interface LoadError {
  rule: string;
  line: number;
  message: string;
}

export interface Match {
  ruleId: string;
  ruleName?: string;
  title: string;
  level: string;
  tags: string[];
  /** MITRE ATT&CK technique ids from `attack.tNNNN[.NNN]` tags, upper-cased (T1059.001). */
  techniques: string[];
  /** Tactics from `attack.<tactic>` tags (execution, credential-access, …). */
  tactics: string[];
  logsource: LogSource;
  event: Record<string, unknown>;
}
