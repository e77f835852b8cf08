import { createHash } from 'node:crypto';
import { connect, type Connection } from './client.ts';
import { SshError } from './client.ts';
import type { SshEndpoint } from './settings.ts';

/**
 * Reuses SSH connections between runs of one instance. A group per instance id and settings
 * hash (new settings never reuse a connection made with old ones) holds a few connections,
 * each carrying up to CHANNELS_PER_CONNECTION exec channels at once (below OpenSSH's default
 * MaxSessions of 10). The group admits at most `maxParallelRuns` runs; the rest wait in order.
 * Connections close after IDLE_MS without a run.
 */

export const CHANNELS_PER_CONNECTION = 8;
const IDLE_MS = 10_000;

interface PooledConnection {
  ready: Promise<Connection>;
  conn?: Connection;
  active: number;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
}

interface Group {
  key: string;
  endpoint: SshEndpoint;
  conns: PooledConnection[];
  active: number;
  waiters: (() => void)[];
}

export interface Lease {
  connection: Connection;
  /** Whether this run opened the connection (false: reused). */
  reused: boolean;
  release(): void;
}

const groups = new Map<string, Group>();
const stats = { connectionsOpened: 0 };

/** Counters for tests and the benchmark. */
export function sshPoolStats(): { connectionsOpened: number; openConnections: number } {
  let open = 0;
  for (const g of groups.values()) open += g.conns.filter((c) => !c.closed).length;
  return { connectionsOpened: stats.connectionsOpened, openConnections: open };
}

/** The pool key: instance id plus a hash of everything the connection was made with. */
export function poolKey(instanceId: string, endpoint: SshEndpoint): string {
  const h = createHash('sha256').update(JSON.stringify({ ...endpoint, pinned: endpoint.pinned?.fingerprint })).digest('base64url');
  return `${instanceId}:${h}`;
}

/** Waits for a run slot on the instance's host, then lends a connection with a free channel. */
export async function acquire(instanceId: string, endpoint: SshEndpoint, signal?: AbortSignal): Promise<Lease> {
  const key = poolKey(instanceId, endpoint);
  let group = groups.get(key);
  if (!group) groups.set(key, (group = { key, endpoint, conns: [], active: 0, waiters: [] }));
  // Take a free slot synchronously (an await here would let every caller of this tick see the
  // same free count); otherwise queue, and the releasing run hands its slot over.
  if (group.active < group.endpoint.maxParallelRuns && group.waiters.length === 0) group.active++;
  else await waitForSlot(group, signal);
  let pooled = group.conns.find((c) => !c.closed && c.active < CHANNELS_PER_CONNECTION);
  const reused = !!pooled;
  if (!pooled) pooled = open(group);
  pooled.active++;
  clearTimeout(pooled.idleTimer);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    pooled.active--;
    if (pooled.active === 0 && !pooled.closed) pooled.idleTimer = setTimeout(() => close(group, pooled), IDLE_MS).unref();
    // Hand the slot straight to the next waiter, or give it back.
    const next = group.waiters.shift();
    if (next) next();
    else group.active--;
  };
  try {
    return { connection: await untilAborted(pooled.ready, signal), reused, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** Resolves when a releasing run hands over its slot (group.active already counts it). */
function waitForSlot(group: Group, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const wake = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      group.waiters.splice(group.waiters.indexOf(wake), 1);
      reject(new SshError('connect', 'aborted', 'the run was cancelled while waiting for a free slot on the script host'));
    };
    group.waiters.push(wake);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function open(group: Group): PooledConnection {
  // Not tied to the opening run's signal: other runs may be waiting on this connection too;
  // the handshake has its own timeout (connectTimeoutSeconds).
  const pooled: PooledConnection = { ready: connect(group.endpoint), active: 0, closed: false };
  stats.connectionsOpened++;
  group.conns.push(pooled);
  pooled.ready.then(
    (conn) => {
      pooled.conn = conn;
      // A dropped connection is forgotten; runs in flight on it fail, later ones open another.
      conn.client.on('close', () => forget(group, pooled));
      conn.client.on('error', () => forget(group, pooled));
    },
    () => forget(group, pooled),
  );
  return pooled;
}

function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new SshError('connect', 'aborted', 'the run was cancelled while connecting to the script host'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function forget(group: Group, pooled: PooledConnection): void {
  pooled.closed = true;
  clearTimeout(pooled.idleTimer);
  const i = group.conns.indexOf(pooled);
  if (i >= 0) group.conns.splice(i, 1);
  if (group.conns.length === 0 && group.active === 0 && group.waiters.length === 0) groups.delete(group.key);
}

function close(group: Group, pooled: PooledConnection): void {
  if (pooled.active > 0) return;
  forget(group, pooled);
  pooled.conn?.client.end();
}

/** Closes every idle connection now (tests, benchmark, shutdown). */
export function closeIdleConnections(): void {
  for (const group of [...groups.values()]) for (const c of [...group.conns]) if (c.active === 0) close(group, c);
}
