// Settings of the optional events bus (NATS JetStream). Unset XDRHUB_EVENTS_BUS keeps the embedded
// in-process pipeline; anything set is validated here so a typo fails at start, not at the first event.
import { ConfigError } from '../../config.ts';

export interface BusConfig {
  /** nats://host:port URLs without credentials (those go to `user`/`pass`, never into logs). */
  servers: string[];
  user?: string;
  pass?: string;
  /** JetStream stream name; its subjects are `xdrhub.events.<stream>.raw.<tenantId>`. */
  stream: string;
  /** Bound of the stream on the NATS server; when full, publishing is refused and the collector's disk spool holds events. */
  maxBytes: number;
  /** How long a worker may hold a delivered event without acknowledging it before NATS redelivers it. */
  ackWaitMs: number;
  /** Events per batch a worker stores in one transaction. */
  batch: number;
  /** Correlator leadership lease (the KV lease bucket's max_age): a dead correlator is replaced after at most this long. */
  leaseMs: number;
  /** How often the correlator snapshots its windows to the KV bucket (and acknowledges the matches they hold). */
  snapshotMs: number;
}

export const DEFAULT_STREAM = 'XDRHUB_EVENTS';
/** One durable consumer per stream, shared by every worker process (a work queue). */
export const CONSUMER = 'xdrhub-workers';

const STREAM_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** "nats://user:secret@h:4222" → "nats://user:***@h:4222": the value may be echoed in an error. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/g, '//$1:***@');
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

function parseServers(value: string): { servers: string[]; user?: string; pass?: string } {
  const bad = () => new ConfigError(`XDRHUB_EVENTS_BUS must be nats://host:port (several separated by commas), or unset for the embedded pipeline; got "${redact(value)}"`);
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  for (const part of value.split(',').map((s) => s.trim())) {
    let u: URL;
    try {
      u = new URL(part);
    } catch {
      throw bad();
    }
    if (u.protocol !== 'nats:' || !u.hostname || (u.pathname !== '' && u.pathname !== '/') || u.search || u.hash) throw bad();
    if (u.username) {
      // One identity for the whole cluster: differing credentials per URL would be silently ambiguous.
      const [un, pw] = [decodeURIComponent(u.username), decodeURIComponent(u.password)];
      if (user !== undefined && (user !== un || pass !== pw)) throw new ConfigError('XDRHUB_EVENTS_BUS: every URL must carry the same credentials');
      [user, pass] = [un, pw];
    }
    servers.push(`nats://${u.port ? u.host : `${u.host}:4222`}`);
  }
  return { servers, user, pass };
}

/** null = no bus (embedded pipeline). Throws a message naming the variable for anything invalid. */
export function busEnv(env: NodeJS.ProcessEnv): BusConfig | null {
  const value = env.XDRHUB_EVENTS_BUS?.trim();
  if (!value) return null;
  const { servers, user, pass } = parseServers(value);
  const stream = env.XDRHUB_EVENTS_BUS_STREAM || DEFAULT_STREAM;
  if (!STREAM_RE.test(stream)) throw new ConfigError(`XDRHUB_EVENTS_BUS_STREAM must be 1–64 letters, digits, "_" or "-", got "${stream}"`);
  return {
    servers,
    user,
    pass: user !== undefined ? pass : undefined,
    stream,
    maxBytes: int(env, 'XDRHUB_EVENTS_BUS_MAX_MB', 1024, 1, 1_048_576) * 1024 * 1024,
    ackWaitMs: int(env, 'XDRHUB_EVENTS_BUS_ACK_WAIT_SECONDS', 30, 1, 3600) * 1000,
    batch: int(env, 'XDRHUB_EVENTS_BUS_BATCH', 1000, 1, 10_000),
    leaseMs: int(env, 'XDRHUB_EVENTS_BUS_LEASE_SECONDS', 10, 1, 300) * 1000,
    snapshotMs: int(env, 'XDRHUB_EVENTS_BUS_SNAPSHOT_SECONDS', 5, 1, 300) * 1000,
  };
}

export const subjectRoot = (stream: string): string => `xdrhub.events.${stream}.raw`;

/**
 * Base-rule matches that feed a correlation go to their own work-queue stream (a work-queue stream
 * allows one consumer per subject, and the raw events already have theirs), read by the one correlator.
 */
export const matchesStream = (stream: string): string => `${stream}_MATCHES`;
export const matchesSubjectRoot = (stream: string): string => `xdrhub.events.${stream}.matches`;
/** The correlator's durable consumer on the matches stream (one reader at a time: the leader). */
export const CORRELATOR_CONSUMER = 'xdrhub-correlator';
/** KV buckets: the leadership lease (max_age = lease) and the correlation window snapshots. */
export const leaseBucket = (stream: string): string => `xdrhub_lease_${stream}`;
export const stateBucket = (stream: string): string => `xdrhub_correlation_${stream}`;
