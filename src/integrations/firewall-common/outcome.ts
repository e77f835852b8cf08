/**
 * What a block or unblock batch did, in the shape every firewall connector returns: the values
 * changed, the values that were already in the wanted state (idempotency), and the objects xdrhub
 * had to create on the device (the managed list, group or rule) so the history says so.
 */
export interface BatchOutcome {
  changed: string[];
  unchanged: string[];
  created: string[];
  /**
   * Values the device refused one by one (the rest of the batch went on): each fails only the
   * call that asked for it (see batcher.ts).
   */
  failed?: Map<string, unknown>;
  /** Product-specific facts (publish task id, list id …). */
  facts?: Record<string, unknown>;
}

export function blockSummary(kind: string, where: string, o: BatchOutcome, verb: 'block' | 'unblock'): string {
  const done = verb === 'block' ? 'blocked' : 'unblocked';
  const already = verb === 'block' ? 'already blocked' : 'not blocked';
  const parts = [`${o.changed.length} ${kind}${o.changed.length === 1 ? '' : 's'} ${done} in ${where}`];
  if (o.unchanged.length) parts.push(`${o.unchanged.length} ${already}`);
  if (o.created.length) parts.push(`created ${o.created.join(', ')}`);
  return parts.join('; ');
}

export function outcomeOutput(o: BatchOutcome, verb: 'block' | 'unblock'): Record<string, unknown> {
  const out: Record<string, unknown> = verb === 'block' ? { blocked: o.changed, alreadyBlocked: o.unchanged } : { unblocked: o.changed, notBlocked: o.unchanged };
  out.created = o.created;
  return { ...out, ...o.facts };
}
