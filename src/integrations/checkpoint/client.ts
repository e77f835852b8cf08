import type { ConnectorContext } from '../framework/contract.ts';
import { FirewallError, SessionExpiredError } from '../firewall-common/errors.ts';
import { baseUrlOf, tlsOf } from '../firewall-common/settings.ts';
import { InvalidValueError } from '../firewall-common/values.ts';
import { DEFAULT_PORT, type CheckpointConfig, type CheckpointSecrets } from './settings.ts';

/**
 * The Check Point Management Web API (reference §10.2): every command is POST /web_api/<command>
 * with a JSON body; `login` returns a session id sent as X-chkp-sid. Changes made in a session
 * stay private until `publish`, which returns a task polled with `show-task`.
 */
export type Ctx = ConnectorContext<CheckpointConfig, CheckpointSecrets>;

export interface CpSession {
  sid: string;
  apiVersion?: string;
}

/** A Check Point error answer: `{code, message}` with an HTTP 4xx/5xx status. */
export class CheckpointApiError extends FirewallError {
  override name = 'CheckpointApiError';
  constructor(
    stage: FirewallError['stage'],
    message: string,
    readonly apiCode: string,
    readonly status: number,
  ) {
    super(stage, message, apiCode);
  }
}

const SESSION_CODES = new Set(['generic_err_wrong_session_id', 'generic_err_session_expired', 'generic_err_invalid_session_id']);

export class CheckpointClient {
  readonly base: string;
  constructor(private readonly ctx: Ctx) {
    this.base = `${baseUrlOf(ctx.config.address, DEFAULT_PORT)}/web_api`;
  }

  async call<T = Record<string, unknown>>(command: string, body: Record<string, unknown>, session?: CpSession): Promise<T> {
    const res = await this.ctx.http.request<unknown>({
      method: 'POST',
      url: `${this.base}/${command}`,
      headers: session ? { 'x-chkp-sid': session.sid } : {},
      json: body,
      timeoutMs: this.ctx.config.timeoutSeconds * 1000,
      tls: tlsOf(this.ctx.config),
      // A POST that timed out may have been applied; the batch logic is idempotent, so the
      // caller decides, not the transport.
      retry: { retries: 0 },
      responseType: 'json',
      maxResponseBytes: 32 * 1024 * 1024,
    });
    const data = (res.body && typeof res.body === 'object' ? res.body : {}) as Record<string, unknown>;
    if (res.status >= 200 && res.status < 300) return data as T;
    const code = typeof data.code === 'string' ? data.code : `http_${res.status}`;
    const message = typeof data.message === 'string' ? data.message.slice(0, 500) : `HTTP ${res.status}`;
    if (session && SESSION_CODES.has(code)) throw new SessionExpiredError('Check Point');
    if (command === 'login' && (code === 'err_login_failed' || res.status === 401)) {
      throw new CheckpointApiError('authenticate', `Check Point refused the login (${code}): check the API user and password or API key, and that the user may log in through the Management API`, code, res.status);
    }
    if (res.status === 403 || code === 'generic_err_permission_denied') {
      throw new CheckpointApiError('authorize', `Check Point denied ${command} (${code}): give the API user a permission profile that may edit network objects, publish${this.ctx.config.installPolicy ? ' and install policy' : ''}`, code, res.status);
    }
    throw new CheckpointApiError('request', `Check Point ${command} failed (${code}): ${message}`, code, res.status);
  }

  async login(): Promise<CpSession> {
    const { username, domain } = this.ctx.config;
    const { password, apiKey } = this.ctx.secrets;
    let body: Record<string, unknown>;
    if (apiKey) body = { 'api-key': apiKey };
    else if (username && password) body = { user: username, password };
    else throw new InvalidValueError('secrets', 'set an API key, or an API user with its password');
    if (domain) body.domain = domain;
    // A short idle timeout: xdrhub logs out after every batch, a forgotten session should not linger.
    body['session-timeout'] = 600;
    body['session-name'] = `xdrhub ${this.ctx.instance.name}`.slice(0, 100);
    const out = await this.call<{ sid?: string; 'api-server-version'?: string }>('login', body);
    if (!out.sid) throw new FirewallError('authenticate', 'Check Point answered the login without a session id');
    return { sid: out.sid, apiVersion: out['api-server-version'] };
  }

  async logout(session: CpSession): Promise<void> {
    await this.call('logout', {}, session);
  }

  async discard(session: CpSession): Promise<void> {
    await this.call('discard', {}, session);
  }

  /** Waits until a task is done; a failed task throws with the device's words. */
  async waitTask(session: CpSession, taskId: string, what: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + this.ctx.config.taskTimeoutSeconds * 1000;
    let delay = 25;
    for (;;) {
      const out = await this.call<{ tasks?: Record<string, unknown>[] }>('show-task', { 'task-id': taskId }, session);
      const task = out.tasks?.[0] ?? {};
      const status = String(task.status ?? '');
      if (status === 'succeeded') return task;
      if (status === 'failed' || status === 'partially succeeded') {
        const details = JSON.stringify(task['task-details'] ?? '').slice(0, 300);
        throw new FirewallError('request', `Check Point ${what} task ${taskId} ${status}: ${details}`, 'task_failed');
      }
      if (Date.now() > deadline) throw new FirewallError('request', `Check Point ${what} task ${taskId} did not finish within ${this.ctx.config.taskTimeoutSeconds} s: see the task in SmartConsole`, 'task_timeout');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }

  async publish(session: CpSession): Promise<string> {
    const out = await this.call<{ 'task-id'?: string }>('publish', {}, session);
    if (!out['task-id']) throw new FirewallError('request', 'Check Point answered publish without a task id');
    await this.waitTask(session, out['task-id'], 'publish');
    return out['task-id'];
  }

  async installPolicy(session: CpSession): Promise<string> {
    const body: Record<string, unknown> = { 'policy-package': this.ctx.config.policyPackage, access: true };
    if (this.ctx.config.installTargets.length) body.targets = this.ctx.config.installTargets;
    const out = await this.call<{ 'task-id'?: string }>('install-policy', body, session);
    if (!out['task-id']) throw new FirewallError('request', 'Check Point answered install-policy without a task id');
    await this.waitTask(session, out['task-id'], 'install-policy');
    return out['task-id'];
  }

  /** `show-<type>` by name; null when the object does not exist. */
  async find(session: CpSession, type: string, body: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    try {
      return await this.call(`show-${type}`, body, session);
    } catch (err) {
      if (err instanceof CheckpointApiError && err.apiCode === 'generic_err_object_not_found') return null;
      throw err;
    }
  }
}
