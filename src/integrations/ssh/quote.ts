import { invalidField } from '../../platform/errors.ts';

/**
 * The one place where data meets the remote shell. sshd runs every exec request as
 * `$SHELL -c <command>`, so the command is a shell string whatever we do; the only safe way to
 * pass data through it is to quote each value so the shell reads it back as exactly one word,
 * byte for byte. POSIX single quotes take everything literally except the single quote itself,
 * which we write as `'\''` (close, escaped quote, reopen). No other character is special inside
 * single quotes in sh, dash or bash (no `$`, backquote, backslash or history expansion in -c).
 *
 * NUL cannot be carried: C strings (argv, environ) end at it, so a value holding one would be
 * silently cut. We refuse it, naming the field, rather than run something else than asked.
 */
export function shellQuote(value: string, field: string): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  if (value.includes('\u0000')) throw invalidField(field, 'contains a NUL character, which cannot be passed to a remote program: remove it');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Environment variable names a script may receive (upper case, as shells expect). */
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

export interface RemoteCommand {
  /** Directory the script runs in. */
  workingDirectory: string;
  /** Script to run: absolute, or relative to the working directory. */
  scriptPath: string;
  /** Each element arrives as one argv element of the script. */
  args: string[];
  /** Variables set for the script only. */
  env: Record<string, string>;
  /** Seconds before the script's whole process group gets SIGTERM (then SIGKILL 5 s later). */
  timeoutSeconds: number;
}

/** Seconds between timeout's SIGTERM and its SIGKILL, for scripts that clean up on TERM. */
export const KILL_AFTER_SECONDS = 5;

/**
 * Builds the command line sent in the exec request. Every piece of data is a quoted word; the
 * only unquoted text is our own fixed syntax. `timeout` (coreutils) makes itself a process-group
 * leader and, when the time is up or it receives SIGTERM/SIGHUP, signals the whole group, so
 * children the script started die with it. `exec` lets `timeout` replace the login shell, so a
 * signal sent over the channel reaches it.
 *
 * Shape: cd -- 'dir' && NAME='v' exec timeout -k 5 300 'script' 'arg1' 'arg2'
 * The `NAME='v' exec cmd` form exports NAME to cmd only (POSIX: assignments before a command go
 * into that command's environment); sshd usually refuses `env` channel requests, so this is how
 * the environment travels.
 */
export function buildRemoteCommand(cmd: RemoteCommand): string {
  if (!Number.isInteger(cmd.timeoutSeconds) || cmd.timeoutSeconds < 1) throw invalidField('params.timeoutSeconds', 'must be a whole number of seconds ≥ 1');
  const parts = ['cd', '--', shellQuote(cmd.workingDirectory, 'params.workingDirectory'), '&&'];
  for (const [name, value] of Object.entries(cmd.env)) {
    if (!ENV_NAME.test(name)) throw invalidField(`params.env.${name}`, 'is not a valid variable name: use A-Z, 0-9 and _, not starting with a digit');
    parts.push(`${name}=${shellQuote(value, `params.env.${name}`)}`);
  }
  parts.push('exec', 'timeout', '-k', String(KILL_AFTER_SECONDS), String(cmd.timeoutSeconds));
  // A script path starting with "-" would be read as an option of timeout.
  const script = cmd.scriptPath.startsWith('-') ? `./${cmd.scriptPath}` : cmd.scriptPath;
  parts.push(shellQuote(script, 'params.scriptPath'));
  cmd.args.forEach((arg, i) => parts.push(shellQuote(arg, `params.args[${i}]`)));
  return parts.join(' ');
}
