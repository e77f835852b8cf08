import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { OutboundError, classifyNetworkError } from '../../platform/outbound/index.ts';
import { fingerprintOf, hostKeyAlgorithmsFor, openSshLine, sameKey } from './hostkey.ts';
import type { SshEndpoint } from './settings.ts';

/**
 * One SSH connection with ssh2, and one command on it. Every failure becomes an OutboundError
 * whose `sshStage` says where the connection broke (connect, hostKey, authenticate, run) and
 * whose message says what to do. Messages name the host and the user, never a credential.
 */

export type SshStage = 'connect' | 'hostKey' | 'authenticate' | 'run';

export class SshError extends OutboundError {
  constructor(
    readonly sshStage: SshStage,
    kind: ConstructorParameters<typeof OutboundError>[0],
    message: string,
  ) {
    super(kind, message, { stage: sshStage === 'authenticate' ? 'authenticate' : sshStage === 'run' ? 'request' : 'connect' });
  }
}

export interface SeenHostKey {
  /** OpenSSH public-key line of the key the server presented. */
  key: string;
  fingerprint: string;
}

export interface Connection {
  client: Client;
  hostKeySeen: SeenHostKey;
  /** Whether the key was checked against the pinned one. */
  verified: boolean;
}

const label = (e: Pick<SshEndpoint, 'host' | 'port'>) => (e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);

/** Opens and authenticates a connection; the host key is checked before any credential is sent. */
export function connect(endpoint: SshEndpoint, signal?: AbortSignal): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let seen: SeenHostKey | undefined;
    let mismatch = false;
    let settled = false;
    const where = label(endpoint);
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      client.destroy();
      reject(err);
    };
    const onAbort = () => fail(new SshError('connect', 'aborted', `connecting to ${where} was cancelled`));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });

    const config: ConnectConfig = {
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.username,
      readyTimeout: endpoint.connectTimeoutMs,
      // Only the configured method: no keyboard-interactive fallback, no agent.
      tryKeyboard: false,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer) => {
        seen = { key: openSshLine(key), fingerprint: fingerprintOf(key) };
        if (!endpoint.pinned) return true;
        mismatch = !sameKey(key, endpoint.pinned);
        return !mismatch;
      },
      ...(endpoint.pinned ? { algorithms: { serverHostKey: hostKeyAlgorithmsFor(endpoint.pinned.type) as any } } : {}),
      ...(endpoint.auth.kind === 'password' ? { password: endpoint.auth.password } : { privateKey: endpoint.auth.privateKey, passphrase: endpoint.auth.passphrase }),
    };
    client.once('ready', () => {
      if (settled) return client.end();
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve({ client, hostKeySeen: seen!, verified: !!endpoint.pinned });
    });
    // `on`, not `once`: a later error on a pooled connection must not become an uncaught one.
    client.on('error', (err: Error & { level?: string }) => fail(describeConnectError(err, endpoint, where, mismatch, seen)));
    client.once('close', () => fail(new SshError('connect', 'connect', `${where} closed the connection during the handshake: check that it is an SSH server and that it accepts us (MaxStartups, AllowUsers)`)));
    try {
      client.connect(config);
    } catch (err) {
      fail(new SshError('connect', 'invalid', `cannot connect to ${where}: ${(err as Error).message}`));
    }
  });
}

function describeConnectError(err: Error & { level?: string }, endpoint: SshEndpoint, where: string, mismatch: boolean, seen?: SeenHostKey): SshError {
  if (mismatch || /Host denied/.test(err.message)) {
    return new SshError(
      'hostKey',
      'permanent',
      `${where} presented host key ${seen?.fingerprint ?? '(unknown)'} but ${endpoint.pinned?.fingerprint} is pinned: nothing was sent. If the host was reinstalled, fetch its key again and confirm the fingerprint with its administrator; otherwise someone may be intercepting the connection`,
    );
  }
  if (err.level === 'client-authentication') {
    const how = endpoint.auth.kind === 'password' ? 'password' : 'private key';
    return new SshError('authenticate', 'auth', `${where} refused the ${how} of user ${endpoint.username}: check the user name and replace the ${how}${how === 'private key' ? ' (its public half must be in the user\'s authorized_keys)' : ''}`);
  }
  if (err.level === 'client-timeout') {
    return new SshError(seen ? 'authenticate' : 'connect', 'timeout', `${where} did not complete the SSH ${seen ? 'login' : 'handshake'} within ${endpoint.connectTimeoutMs / 1000} s: check that it is up and that port ${endpoint.port} is SSH`);
  }
  if (err.level === 'client-socket' || err.level === 'client-dns') {
    const net = classifyNetworkError(err, { host: where });
    return new SshError('connect', net.kind, net.message);
  }
  // Protocol-level failures: no common algorithm, a non-SSH peer, a reset during key exchange.
  return new SshError('connect', 'permanent', `the SSH handshake with ${where} failed: ${err.message}`);
}

/**
 * Connects without authenticating, to learn the host's key: the verifier records the key and
 * answers "no", so ssh2 drops the connection before any user name or credential is sent.
 */
export function fetchHostKey(host: string, port: number, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SeenHostKey> {
  const where = label({ host, port });
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let seen: SeenHostKey | undefined;
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      if (seen) resolve(seen);
      else reject(err ?? new SshError('connect', 'connect', `${where} closed the connection before presenting a host key: check that it is an SSH server`));
    };
    const onAbort = () => done(new SshError('connect', 'aborted', `fetching the host key of ${where} was cancelled`));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    client.on('error', (err: Error & { level?: string }) => {
      if (seen) return done();
      if (err.level === 'client-timeout') return done(new SshError('connect', 'timeout', `${where} did not complete the SSH handshake in time: check that it is up and that port ${port} is SSH`));
      if (err.level === 'client-socket' || err.level === 'client-dns') {
        const net = classifyNetworkError(err, { host: where });
        return done(new SshError('connect', net.kind, net.message));
      }
      done(new SshError('connect', 'permanent', `the SSH handshake with ${where} failed: ${err.message}`));
    });
    client.on('close', () => done());
    client.connect({
      host,
      port,
      username: 'xdrhub-fetch-host-key',
      readyTimeout: opts.timeoutMs ?? 15_000,
      hostVerifier: (key: Buffer) => {
        seen = { key: openSshLine(key), fingerprint: fingerprintOf(key) };
        return false;
      },
    });
  });
}

export interface ExecOptions {
  /** Cap per stream; bytes beyond it are read and dropped so the remote side never blocks. */
  maxBytes: number;
  /** After this long the channel gets SIGKILL and is closed (a last resort behind `timeout`). */
  hardTimeoutMs: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number | null;
  /** Set when the remote process died of a signal. */
  exitSignal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** The client's watchdog or the abort signal ended the channel. */
  killedByClient: 'timeout' | 'aborted' | null;
}

/** Collects one stream up to a cap, remembering whether more came. */
class Capped {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    const room = this.max - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.size += part.length;
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/** Grace between asking the remote process to stop (TERM over the channel) and closing it. */
const ABORT_GRACE_MS = 2_000;

/**
 * Runs one command on an open connection (one exec channel). sshd frees a session slot only
 * after it has seen our reply to its channel close, so a channel opened right after another
 * closed can meet "no more sessions" (MaxSessions) for a moment: a refused channel ran nothing,
 * so opening it again after a short pause is safe.
 */
export async function exec(client: Client, command: string, opts: ExecOptions): Promise<ExecResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await execOnce(client, command, opts);
    } catch (err) {
      if (!(err instanceof ChannelRefused) || attempt >= 6 || opts.signal?.aborted) throw err instanceof ChannelRefused ? new SshError('run', 'transient', err.message) : err;
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  }
}

class ChannelRefused extends Error {}

function execOnce(client: Client, command: string, opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new SshError('run', 'aborted', 'the run was cancelled before it started'));
    try {
      client.exec(command, onChannel);
    } catch (err) {
      reject(new SshError('run', 'transient', `the connection was lost before the command started: ${(err as Error).message}`));
    }
    function onChannel(err: Error | undefined, channel: ClientChannel) {
      if (err) return reject(/Channel open failure/.test(err.message) ? new ChannelRefused(`the server refused to open a session: ${err.message} (its MaxSessions may be lower than 8)`) : new SshError('run', 'transient', `the server refused to start the command: ${err.message}`));
      const out = new Capped(opts.maxBytes);
      const errOut = new Capped(opts.maxBytes);
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      let killedByClient: ExecResult['killedByClient'] = null;
      let graceTimer: NodeJS.Timeout | undefined;
      channel.on('data', (c: Buffer) => out.push(c));
      channel.stderr.on('data', (c: Buffer) => errOut.push(c));
      channel.on('exit', (code: number | null, signalName?: string) => {
        exitCode = typeof code === 'number' ? code : null;
        exitSignal = signalName ?? null;
      });
      // Stop the remote process: `timeout` (our process-group leader) forwards TERM to the group.
      const stop = (why: 'timeout' | 'aborted') => {
        if (killedByClient) return;
        killedByClient = why;
        channel.signal(why === 'timeout' ? 'KILL' : 'TERM');
        graceTimer = setTimeout(() => channel.close(), why === 'timeout' ? 0 : ABORT_GRACE_MS);
      };
      const watchdog = setTimeout(() => stop('timeout'), opts.hardTimeoutMs);
      const onAbort = () => stop('aborted');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      channel.on('close', () => {
        clearTimeout(watchdog);
        clearTimeout(graceTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve({ exitCode, exitSignal, stdout: out.buffer(), stderr: errOut.buffer(), stdoutTruncated: out.truncated, stderrTruncated: errOut.truncated, killedByClient });
      });
    }
  });
}
