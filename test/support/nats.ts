import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { connect } from 'nats';

/**
 * Events-bus tests need a NATS server with JetStream at XDRHUB_TEST_NATS_URL (default
 * nats://127.0.0.1:4222). Without one they are skipped with the reason, except where the server is
 * promised: with XDRHUB_TEST_NATS=required (set by .ci/run) or CI set, an unreachable server fails the run.
 */
export const NATS_URL = process.env.XDRHUB_TEST_NATS_URL || 'nats://127.0.0.1:4222';
const required = process.env.XDRHUB_TEST_NATS === 'required' || !!process.env.CI;

/** Debian's nats-server, for tests that need a server they can start late (apt-get install -y nats-server). */
export const natsServerPath = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => fs.existsSync(p));

let reachable: Promise<string | null> | undefined;

/** null when NATS with JetStream answers; otherwise why the bus tests are skipped. */
export function natsUnavailable(): Promise<string | null> {
  reachable ??= (async () => {
    try {
      const nc = await connect({ servers: NATS_URL, timeout: 2000, reconnect: false });
      try {
        // Fails when the server runs without -js.
        await (await nc.jetstreamManager({ timeout: 2000 })).getAccountInfo();
      } finally {
        await nc.close();
      }
      return null;
    } catch (err) {
      const why = `NATS JetStream not reachable at ${NATS_URL} (${(err as Error).message})`;
      if (required) throw new Error(`${why}, but it is required (XDRHUB_TEST_NATS=required or CI)`);
      return `${why}: events bus tests skipped`;
    }
  })();
  return reachable;
}

/** Environment for an app on its own stream: parallel runs and reruns never share one. */
export function busTestEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { XDRHUB_EVENTS_BUS: NATS_URL, XDRHUB_EVENTS_BUS_STREAM: `XDRHUB_T_${process.pid}_${randomBytes(4).toString('hex')}`, ...extra };
}

export async function deleteStream(stream: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL, timeout: 2000, reconnect: false });
  try {
    await (await nc.jetstreamManager()).streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}

export async function consumerInfo(stream: string, consumer: string) {
  const nc = await connect({ servers: NATS_URL, timeout: 2000, reconnect: false });
  try {
    return await (await nc.jetstreamManager()).consumers.info(stream, consumer);
  } finally {
    await nc.close();
  }
}

/** Everything an app on `stream` creates on the server: the raw and matches streams and the correlator's two KV buckets. */
export async function deleteBusStreams(stream: string): Promise<void> {
  for (const s of [stream, `${stream}_MATCHES`, `KV_xdrhub_lease_${stream}`, `KV_xdrhub_correlation_${stream}`]) await deleteStream(s);
}

/** The current value of a KV key as text (null when absent or deleted). */
export async function kvText(bucket: string, key: string): Promise<string | null> {
  const nc = await connect({ servers: NATS_URL, timeout: 2000, reconnect: false });
  try {
    const kv = await nc.jetstream().views.kv(bucket, { bindOnly: true });
    const e = await kv.get(key);
    return e && e.operation === 'PUT' ? e.string() : null;
  } catch {
    return null;
  } finally {
    await nc.close();
  }
}
