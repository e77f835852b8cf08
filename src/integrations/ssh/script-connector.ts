import { Type, type TProperties } from 'typebox';
import type { ActionResult, ActionTarget, ConnectorContext } from '../framework/contract.ts';
import { runScriptFor, summarize, DEFAULT_WORKDIR } from './index.ts';
import { sshConfigProperties, sshSecretsSchema, type SshConfig, type SshSecrets } from './settings.ts';

/**
 * For products without a public API (Continent 4, SKDPU NT): a connector type whose settings are
 * a script host (the ssh settings, as they are) plus the path of the customer's script, and
 * whose actions call that script with a fixed argument contract: `<script> <verb> <value>`.
 */

export interface ScriptHostConfig extends SshConfig {
  scriptPath: string;
  workingDirectory: string;
  timeoutSeconds: number;
}

/** The ssh settings plus where the product's script is. */
export function scriptHostConfigSchema(defaultScript: string, what: string) {
  const properties = {
    ...sshConfigProperties,
    scriptPath: Type.String({ minLength: 1, maxLength: 4096, default: defaultScript, title: 'Script', description: `Path of the ${what} response script on the host (see the argument contract in the docs)` }),
    workingDirectory: Type.String({ minLength: 1, maxLength: 4096, default: DEFAULT_WORKDIR, title: 'Working directory' }),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 120, title: 'Timeout, seconds', description: 'The script and its children are killed after this long' }),
  } satisfies TProperties;
  return Type.Object(properties, { additionalProperties: false });
}

export const scriptHostSecretsSchema = sshSecretsSchema;

/** Optional free text for the script, passed in XDRHUB_COMMENT (never as an argument). */
export const commentParams = Type.Object(
  { comment: Type.Optional(Type.String({ maxLength: 1000, title: 'Comment', description: 'Passed to the script in XDRHUB_COMMENT (e.g. the alert it answers)' })) },
  { additionalProperties: false },
);

/** Runs `<script> <verb> <value>` and reports it; a non-zero exit throws (see run.ts). */
export async function runContract(ctx: ConnectorContext<ScriptHostConfig, SshSecrets>, target: ActionTarget, verb: string, value: string, comment?: string): Promise<ActionResult> {
  const env: Record<string, string> = {};
  if (comment) env.XDRHUB_COMMENT = comment;
  const alertId = target.attributes?.alertId;
  if (typeof alertId === 'string') env.XDRHUB_ALERT_ID = alertId;
  const out = await runScriptFor(ctx, { workingDirectory: ctx.config.workingDirectory, scriptPath: ctx.config.scriptPath, args: [verb, value], env, timeoutSeconds: ctx.config.timeoutSeconds }, target);
  return { summary: `${verb} ${value}: ${summarize(ctx.config.scriptPath, out)}`, output: { verb, value, ...out } };
}
