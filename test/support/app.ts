import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/platform/log/index.ts';
import type { DialectName } from '../../src/platform/db/index.ts';
import type { Role } from '../../src/access/permissions.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export const ADMIN_PASSWORD = 'Admin-password-for-tests-1';

/** Every log line the app wrote, for secret-canary assertions. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    done();
  }
  text(): string {
    return this.lines.join('');
  }
}

export interface TestApp {
  app: App;
  testDb: TestDatabase;
  logs: LogCapture;
  rootId: string;
  sharedId: string;
  adminToken: string;
  /** The environment the app was built from (for child processes sharing its database and key). */
  env: NodeJS.ProcessEnv;
  /** Authenticated request with an API token (default: the Main administrator's). */
  call(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Creates a user holding `role` on `tenantId` and returns an API token for them. */
  userWithRole(role: Role, tenantId: string): Promise<{ userId: string; token: string }>;
  close(): Promise<void>;
}

export async function startTestApp(dialect: DialectName = 'sqlite', overrides: Record<string, string> = {}): Promise<TestApp> {
  const testDb = await createTestDatabase(dialect);
  const env: NodeJS.ProcessEnv = {
    XDRHUB_DATA_DIR: testDb.dataDir,
    XDRHUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    XDRHUB_MASTER_KEY: randomBytes(32).toString('base64'),
    ...(dialect === 'postgres' ? { XDRHUB_DATABASE_URL: testDb.url } : {}),
    ...overrides,
  };
  const config = loadConfig(env);
  const logs = new LogCapture();
  const logger = createLogger('debug', logs);
  const database = await testDb.open();
  const app = await buildApp(config, { logger, database, env });
  const boot = await app.bootstrap();

  const call: TestApp['call'] = async (method, url, body, token) => {
    const res = await app.http.inject({
      method: method as any,
      url,
      headers: { authorization: `Bearer ${token ?? adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  };

  const tokenFor = async (username: string, password: string) => {
    const login = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
    if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
    const cookies = ([] as string[]).concat(login.headers['set-cookie'] as string[]);
    const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
    const { csrfToken } = JSON.parse(login.body);
    const res = await app.http.inject({ method: 'POST', url: '/api/v1/me/tokens', headers: { cookie, 'x-csrf-token': csrfToken }, payload: { name: 'tests', expiresInDays: 1 } });
    if (res.statusCode !== 201) throw new Error(`token failed: ${res.body}`);
    return JSON.parse(res.body).token as string;
  };

  const adminToken = await tokenFor(config.adminUsername, ADMIN_PASSWORD);
  let n = 0;
  return {
    app,
    testDb,
    logs,
    rootId: boot.rootId,
    sharedId: boot.sharedId,
    adminToken,
    env,
    call,
    async userWithRole(role, tenantId) {
      const username = `u${++n}-${role.toLowerCase()}-${randomBytes(3).toString('hex')}`;
      const password = `Pw-${randomBytes(12).toString('hex')}`;
      const created = await call('POST', `/api/v1/tenants/${tenantId}/users`, { username, password, roles: [role] });
      if (created.status !== 201) throw new Error(`user create failed: ${JSON.stringify(created.body)}`);
      return { userId: created.body.user.id, token: await tokenFor(username, password) };
    },
    async close() {
      await app.close();
      await testDb.drop();
    },
  };
}
