import path from 'node:path';

export type ProcessRole = 'all' | 'api' | 'worker';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** postgres://… to use PostgreSQL; unset for the embedded SQLite default. */
  databaseUrl?: string;
  /** base64 of 32 bytes; unset means a key file in dataDir (created with mode 0600). */
  masterKey?: string;
  /** First Main administrator's password; unset means one is generated and printed once. */
  adminPassword?: string;
  adminUsername: string;
  logLevel: string;
  /** The installation's outbound proxy, used only by integrations whose Proxy toggle is on (root-only). */
  proxyUrl?: string;
  /** How long after a tenant's deletion its data are purged (ms); at most 24 hours. */
  purgeDelayMs: number;
  /** Set the Secure flag on the session cookie (serve over HTTPS or behind a TLS proxy). */
  secureCookies: boolean;
  sessionTtlMs: number;
  role: ProcessRole;
  /** Worker poll interval when the queue is empty (ms). */
  jobPollMs: number;
  /** How long a worker's claim on a job lasts without renewal; a crashed worker's jobs return after it. */
  jobLeaseMs: number;
  /** How users reach this installation (links back from tickets and notifications). */
  publicUrl: string;
}

const HOUR = 3_600_000;
export const MAX_PURGE_DELAY_MS = 24 * HOUR;

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

/** Reads configuration from the environment, failing early with a message that names the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const role = (env.XDRHUB_ROLE ?? 'all') as ProcessRole;
  if (!['all', 'api', 'worker'].includes(role)) throw new ConfigError(`XDRHUB_ROLE must be all, api or worker, got "${role}"`);
  const databaseUrl = env.XDRHUB_DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('XDRHUB_DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite database)');
  }
  const proxyUrl = env.XDRHUB_PROXY_URL || undefined;
  if (proxyUrl && !/^https?:\/\//.test(proxyUrl)) throw new ConfigError('XDRHUB_PROXY_URL must be an http:// or https:// URL');
  const config: Config = {
    host: env.XDRHUB_HOST || '127.0.0.1',
    port: int(env, 'XDRHUB_PORT', 8080, 0, 65535),
    dataDir: path.resolve(env.XDRHUB_DATA_DIR || './data'),
    databaseUrl,
    masterKey: env.XDRHUB_MASTER_KEY || undefined,
    adminPassword: env.XDRHUB_ADMIN_PASSWORD || undefined,
    adminUsername: env.XDRHUB_ADMIN_USERNAME || 'admin',
    logLevel: env.XDRHUB_LOG_LEVEL || 'info',
    proxyUrl,
    purgeDelayMs: int(env, 'XDRHUB_PURGE_DELAY_SECONDS', 3600, 0, MAX_PURGE_DELAY_MS / 1000) * 1000,
    secureCookies: env.XDRHUB_SECURE_COOKIES === 'true',
    sessionTtlMs: int(env, 'XDRHUB_SESSION_TTL_MINUTES', 12 * 60, 5, 7 * 24 * 60) * 60_000,
    role,
    jobPollMs: int(env, 'XDRHUB_JOB_POLL_MS', 250, 10, 60_000),
    jobLeaseMs: int(env, 'XDRHUB_JOB_LEASE_MS', 30_000, 1000, 600_000),
    publicUrl: (env.XDRHUB_PUBLIC_URL || `http://localhost:${env.XDRHUB_PORT || 8080}`).replace(/\/+$/, ''),
  };
  return { ...config, ...overrides };
}
