import { invalidField } from '../../platform/errors.ts';
import { exec, SshError, type SeenHostKey } from './client.ts';
import { acquire } from './pool.ts';
import { buildRemoteCommand, KILL_AFTER_SECONDS, type RemoteCommand } from './quote.ts';
import type { SshEndpoint } from './settings.ts';

/**
 * One script run on a script host, as every connector that acts through scripts uses it
 * (ssh's runScript, Continent 4, SKDPU NT): a pooled connection, the quoted command, capped
 * output, and an error that says what happened when the exit code is not 0.
 */

export const OUTPUT_CAP_BYTES = 1024 * 1024;
/**
 * Linux limits one argv string to 128 KiB (MAX_ARG_STRLEN) and sshd hands the whole command to
 * the login shell as one argument, so the quoted command must stay below that.
 */
export const MAX_COMMAND_BYTES = 128 * 1024 - 1024;
/** Characters of stderr quoted in a failure message. */
const STDERR_TAIL = 500;

export interface ScriptOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Either stream was cut at OUTPUT_CAP_BYTES. */
  truncated: boolean;
  durationMs: number;
  host: string;
  hostKeyVerified: boolean;
  /** The key the host presented, recorded when verification is off (history shows what we trusted). */
  hostKeySeen?: SeenHostKey;
  connectionReused: boolean;
}

/** A script that ran and failed; `output` carries what it printed for response history. */
export class ScriptFailedError extends SshError {
  constructor(
    message: string,
    readonly output: ScriptOutput,
  ) {
    super('run', 'permanent', message);
  }
}

export interface RunRequest extends RemoteCommand {
  instanceId: string;
  endpoint: SshEndpoint;
  /** Secret values to blank out of anything the script printed. */
  redact: (string | undefined)[];
  signal?: AbortSignal;
}

export async function runRemoteScript(req: RunRequest): Promise<ScriptOutput> {
  const command = buildRemoteCommand(req);
  if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
    throw invalidField('params.args', `the arguments and environment are too long for one command line (${Buffer.byteLength(command)} bytes quoted, at most ${MAX_COMMAND_BYTES}): pass less data or let the script read it from a file`);
  }
  const lease = await acquire(req.instanceId, req.endpoint, req.signal);
  const started = performance.now();
  let result;
  try {
    result = await exec(lease.connection.client, command, {
      maxBytes: OUTPUT_CAP_BYTES,
      // `timeout` on the host should end it first; this catches a host without coreutils' timeout.
      hardTimeoutMs: (req.timeoutSeconds + KILL_AFTER_SECONDS + 5) * 1000,
      signal: req.signal,
    });
  } finally {
    lease.release();
  }
  const durationMs = Math.round(performance.now() - started);
  const clean = redactor(req.redact);
  const output: ScriptOutput = {
    exitCode: result.exitCode ?? -1,
    stdout: clean(result.stdout.toString('utf8')),
    stderr: clean(result.stderr.toString('utf8')),
    stdoutTruncated: result.stdoutTruncated,
    stderrTruncated: result.stderrTruncated,
    truncated: result.stdoutTruncated || result.stderrTruncated,
    durationMs,
    host: req.endpoint.host.includes(':') ? `[${req.endpoint.host}]:${req.endpoint.port}` : `${req.endpoint.host}:${req.endpoint.port}`,
    hostKeyVerified: lease.connection.verified,
    ...(lease.connection.verified ? {} : { hostKeySeen: lease.connection.hostKeySeen }),
    connectionReused: lease.reused,
  };
  if (output.exitCode === 0 && !result.killedByClient) return output;
  throw new ScriptFailedError(failureMessage(req, result, output), output);
}

function failureMessage(req: RunRequest, result: { exitSignal: string | null; killedByClient: string | null }, output: ScriptOutput): string {
  const tail = output.stderr.trim().slice(-STDERR_TAIL);
  // History keeps only the message of a failed run: with verification off, the key we trusted goes in it too.
  const unverified = output.hostKeySeen ? `; host key NOT verified (${output.host} presented ${output.hostKeySeen.fingerprint})` : '';
  const said = `${unverified}${tail ? `; stderr ends with: ${tail}` : ''}`;
  if (result.killedByClient === 'aborted') return `the run of ${req.scriptPath} was cancelled and the script was stopped${said}`;
  const ranOut = output.durationMs >= req.timeoutSeconds * 1000 - 50;
  if (result.killedByClient === 'timeout' || (ranOut && (output.exitCode === 124 || output.exitCode === 137))) {
    return `${req.scriptPath} ran longer than ${req.timeoutSeconds} s and was killed with its child processes (exit code ${output.exitCode}): raise timeoutSeconds or make the script faster${said}`;
  }
  if (output.exitCode === 127 || output.exitCode === 126) {
    return `${req.scriptPath} could not be started in ${req.workingDirectory} (exit code ${output.exitCode}: ${output.exitCode === 127 ? 'not found' : 'not executable'}): check the script path and its execute permission${said}`;
  }
  if (result.exitSignal === null && output.exitCode === -1) {
    return `the connection to ${output.host} was lost while ${req.scriptPath} ran: it may or may not have finished; check on the host before running it again${said}`;
  }
  if (result.exitSignal) return `${req.scriptPath} was killed by signal ${result.exitSignal} (exit code ${output.exitCode})${said}`;
  return `${req.scriptPath} exited with code ${output.exitCode}${said}`;
}

/** Blanks secret values (at least 4 characters: shorter ones would shred ordinary text). */
function redactor(values: (string | undefined)[]): (text: string) => string {
  const secrets = values.filter((v): v is string => typeof v === 'string' && v.length >= 4);
  return (text) => secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);
}
