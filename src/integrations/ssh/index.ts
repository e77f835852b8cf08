import { Type, type Static } from 'typebox';
import { AppError } from '../../platform/errors.ts';
import { defineConnector, type ActionTarget, type CheckResult, type ConnectorContext, type TargetKind } from '../framework/contract.ts';
import { connect, exec, fetchHostKey, SshError, type SshStage } from './client.ts';
import { parseHostKey } from './hostkey.ts';
import { ENV_NAME } from './quote.ts';
import { runRemoteScript, type ScriptOutput } from './run.ts';
import { resolveEndpoint, sshConfigSchema, sshSecretsSchema, validHost, type SshConfig, type SshSecrets } from './settings.ts';

export { fetchHostKey } from './client.ts';
export { closeIdleConnections, sshPoolStats } from './pool.ts';
export { shellQuote } from './quote.ts';

/**
 * The script launch service (SPEC.md §8): runs customer-provided scripts on a host over SSH,
 * passing alert and incident data as argv elements and environment variables — each value one
 * quoted word, never spliced into a command. The host is recognised by its pinned public key
 * before any credential is sent.
 */

export const DEFAULT_WORKDIR = '/opt/xdr_scripts';

const ALL_TARGETS: TargetKind[] = ['none', 'alert', 'incident', 'host', 'account', 'observable:ip', 'observable:domain', 'observable:url', 'observable:md5', 'observable:sha1', 'observable:sha256', 'observable:email', 'observable:userName', 'observable:hostName', 'observable:filePath', 'observable:processName', 'observable:registryKey'];

const runScriptParams = Type.Object(
  {
    workingDirectory: Type.String({ minLength: 1, maxLength: 4096, default: DEFAULT_WORKDIR, title: 'Working directory', description: 'Directory on the host the script runs in' }),
    scriptPath: Type.String({ minLength: 1, maxLength: 4096, title: 'Script', description: 'Path of the script, absolute or relative to the working directory (e.g. ./block.sh)' }),
    args: Type.Array(Type.String({ maxLength: 131_072 }), { maxItems: 256, default: [], title: 'Arguments', description: 'Each item reaches the script as exactly one argument, whatever it contains' }),
    env: Type.Record(Type.String({ pattern: ENV_NAME.source }), Type.String({ maxLength: 65_536 }), { default: {}, title: 'Environment', description: 'Variables for the script (names in A-Z, 0-9, _)' }),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300, title: 'Timeout, seconds', description: 'The script and its children are killed after this long' }),
  },
  { additionalProperties: false },
);
const noParams = Type.Object({}, { additionalProperties: false });

type Ctx = ConnectorContext<SshConfig, SshSecrets>;

/** Everything a script-backed connector needs to run one script; shared with continent4 and skdpu. */
export async function runScriptFor(ctx: Ctx, command: { workingDirectory: string; scriptPath: string; args: string[]; env: Record<string, string>; timeoutSeconds: number }, target?: ActionTarget): Promise<ScriptOutput> {
  const endpoint = resolveEndpoint(ctx.config, ctx.secrets);
  // The target travels too, so a script can act on it without a playbook spelling it out.
  const env = target ? { XDRHUB_TARGET_KIND: target.kind, XDRHUB_TARGET_VALUE: target.value, ...command.env } : command.env;
  return runRemoteScript({
    ...command,
    env,
    instanceId: ctx.instance.id,
    endpoint,
    redact: [ctx.secrets.password, ctx.secrets.passphrase],
    signal: ctx.signal,
  });
}

/** One line for response history. */
export function summarize(scriptPath: string, out: ScriptOutput): string {
  const firstLine = out.stdout.trim().split('\n')[0]?.slice(0, 200) ?? '';
  return `${scriptPath} succeeded on ${out.host} in ${out.durationMs} ms${firstLine ? `: ${firstLine}` : ''}${out.truncated ? ' (output truncated)' : ''}`;
}

const STAGE_OF: Record<SshStage, CheckResult['stage']> = { connect: 'connect', hostKey: 'connect', authenticate: 'authenticate', run: 'request' };

/**
 * Check connection, stage by stage: the settings, the TCP connection, the host key, the login,
 * and `true` run on the host. A fresh connection, not a pooled one, so it proves the settings
 * as they are now. The CheckStage has no "host key": that stage is reported as 'connect' with
 * details.sshStage = 'hostKey'.
 */
export async function checkSsh(ctx: Ctx): Promise<CheckResult> {
  let endpoint;
  try {
    endpoint = resolveEndpoint(ctx.config, ctx.secrets);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    // No pinned key yet: show the one the host presents, so the user can confirm and save it.
    if (ctx.config.verifyHostKey !== false && !ctx.config.hostKey?.trim()) {
      try {
        const seen = await fetchHostKey(validHost(ctx.config.host), ctx.config.port ?? 22, { timeoutMs: (ctx.config.connectTimeoutSeconds ?? 15) * 1000, signal: ctx.signal });
        return { ok: false, stage: 'config', message: `${err.message}. The host presents ${seen.fingerprint}`, details: { sshStage: 'hostKey', hostKeySeen: seen } };
      } catch {
        /* fall through to the settings message */
      }
    }
    return { ok: false, stage: 'config', message: err.message, details: { sshStage: 'connect' } };
  }
  let conn;
  try {
    conn = await connect(endpoint, ctx.signal);
  } catch (err) {
    if (err instanceof SshError) return { ok: false, stage: STAGE_OF[err.sshStage], message: err.message, details: { sshStage: err.sshStage } };
    throw err;
  }
  try {
    const res = await exec(conn.client, 'true', { maxBytes: 4096, hardTimeoutMs: endpoint.connectTimeoutMs, signal: ctx.signal });
    const details = { sshStage: 'run', hostKeyVerified: conn.verified, hostKeySeen: conn.hostKeySeen };
    if (res.exitCode !== 0) {
      return { ok: false, stage: 'request', message: `logged in, but running "true" failed (exit code ${res.exitCode ?? res.exitSignal}): check the user's shell and that it may run commands`, details };
    }
    const trust = conn.verified ? `host key ${conn.hostKeySeen.fingerprint} verified` : `host key NOT verified (the host presented ${conn.hostKeySeen.fingerprint}): confirm it and turn verification on`;
    return { ok: true, stage: 'request', message: `logged in as ${endpoint.username} and ran "true"; ${trust}`, details };
  } catch (err) {
    if (err instanceof SshError) return { ok: false, stage: 'request', message: `logged in, but could not run a command: ${err.message}`, details: { sshStage: 'run' } };
    throw err;
  } finally {
    conn.client.end();
  }
}

export const sshConnector = defineConnector({
  type: 'ssh',
  title: 'Script launch service (SSH)',
  description: 'Runs your scripts on a Linux host over SSH, passing alert and incident data as arguments and environment; host verified by its public key.',
  configSchema: sshConfigSchema,
  secretsSchema: sshSecretsSchema,
  check: checkSsh,
  actions: {
    runScript: {
      title: 'Run script',
      description: 'Runs a script on the host; exit code 0 is success; stdout and stderr (up to 1 MiB each) are kept',
      targetKinds: ALL_TARGETS,
      paramsSchema: runScriptParams,
      async execute(ctx, target, params: Static<typeof runScriptParams>) {
        const out = await runScriptFor(ctx, params, target);
        return { summary: summarize(params.scriptPath, out), output: { ...out } };
      },
    },
    fetchHostKey: {
      title: 'Fetch host key',
      description: 'Shows the public key and SHA256 fingerprint the host presents, without logging in; confirm it before saving it as the host key',
      targetKinds: ['none'],
      paramsSchema: noParams,
      async execute(ctx) {
        const seen = await fetchHostKey(validHost(ctx.config.host), ctx.config.port ?? 22, { timeoutMs: (ctx.config.connectTimeoutSeconds ?? 15) * 1000, signal: ctx.signal });
        let saved: string | undefined;
        try {
          saved = ctx.config.hostKey?.trim() ? parseHostKey(ctx.config.hostKey).fingerprint : undefined;
        } catch {
          saved = undefined;
        }
        return {
          summary: `the host presents ${seen.fingerprint}`,
          output: { key: seen.key, fingerprint: seen.fingerprint, matchesSaved: saved === undefined ? null : saved === seen.fingerprint },
        };
      },
    },
  },
});
