// Base-rule matches that feed a correlation, on their way from the workers (which evaluate Sigma in
// parallel) to the one correlator. The JetStream message id is derived from (event id, rule id), so a
// raw event redelivered to a worker republishes the same match and JetStream drops the copy.
import { createHash } from 'node:crypto';
import { JSONCodec, type JsMsg } from 'nats';
import type { CorrelationFeed } from '../pipeline/processor.ts';
import type { Match } from '../sigma/index.ts';
import type { NatsBus } from './nats.ts';

const PUBLISH_TIMEOUT_MS = 5000;
const codec = JSONCodec<CorrelationFeed>();

/** Identity of a base match: the JetStream message id and the correlation window's duplicate key. */
export function matchKey(eventId: string, ruleId: string): string {
  return createHash('sha256').update(`${eventId}\u0000${ruleId}`).digest('base64url').slice(0, 32);
}

/** Resolves once JetStream holds every match; rejects (the worker's batch is then retried) otherwise. */
export async function publishMatches(bus: NatsBus, feeds: CorrelationFeed[]): Promise<void> {
  const { js } = await bus.ready();
  const results = await Promise.allSettled(feeds.map((f) => js.publish(bus.matchSubject(f.tenantId), codec.encode(f), { msgID: matchKey(f.eventId, f.match.ruleId), timeout: PUBLISH_TIMEOUT_MS })));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw new Error(`correlation matches not acknowledged by NATS JetStream: ${(failed.reason as Error)?.message ?? failed.reason}`);
}

const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strs = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The message as a feed, or null (anyone may publish on NATS: the subject must name the body's tenant). */
export function decodeFeed(m: JsMsg, subjectOf: (tenantId: string) => string): CorrelationFeed | null {
  let v: unknown;
  try {
    v = codec.decode(m.data);
  } catch {
    return null;
  }
  if (!obj(v) || typeof v.tenantId !== 'string' || typeof v.eventId !== 'string' || typeof v.time !== 'number' || !Number.isFinite(v.time) || !obj(v.normalized)) return null;
  const mt = v.match;
  if (!obj(mt) || typeof mt.ruleId !== 'string' || (mt.ruleName !== undefined && typeof mt.ruleName !== 'string') || typeof mt.title !== 'string' || typeof mt.level !== 'string') return null;
  if (!strs(mt.tags) || !strs(mt.techniques) || !strs(mt.tactics) || !obj(mt.logsource) || !obj(mt.event)) return null;
  try {
    if (m.subject !== subjectOf(v.tenantId)) return null;
  } catch {
    return null;
  }
  return { tenantId: v.tenantId, eventId: v.eventId, time: v.time, match: mt as unknown as Match, normalized: v.normalized };
}
