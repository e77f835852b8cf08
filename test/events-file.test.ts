// File collectors end to end: lines appended to a file on the server become stored events and
// Sigma alerts; rotation, truncation and a restart of the app lose and repeat nothing; the path is
// an installation-level setting confined to XDRHUB_FILE_COLLECTOR_DIRS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApp, LogCapture, type TestApp } from './support/app.ts';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { sshFailedRule } from './support/syslog.ts';

const RULE = sshFailedRule('7b0f8f2e-0000-4000-8000-00000000f001');

/** An auth.log line as sshd writes it through the local syslog daemon (no PRI). */
const authLine = (ip: string, user = 'root') => `Nov 28 11:10:00 web01 sshd[2301]: Failed password for ${user} from ${ip} port 41520 ssh2`;
const authLines = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => authLine(`${prefix}.${from + i}`)).join('\n') + '\n';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Call = TestApp['call'];

/** Calls an app with the Main administrator's token (the restarted app has no TestApp of its own). */
function caller(app: App, token: string): Call {
  return async (method, url, body) => {
    const res = await app.http.inject({ method: method as any, url, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, payload: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
  };
}

/** Source addresses of the tenant's stored events (the lines share one timestamp: compare sorted). */
async function storedAddresses(call: Call, tenantId: string): Promise<string[]> {
  const res = await call('GET', `/api/v1/tenants/${tenantId}/events?limit=1000`);
  assert.equal(res.status, 200);
  return res.body.items.map((e: any) => e.fields.SourceAddress);
}

async function waitFor<T>(app: App, check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    await app.services.events.idle();
    const v = await check();
    if (v !== undefined) return v;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until `n` events are stored for the tenant and returns their addresses. */
async function waitStored(app: App, call: Call, tenantId: string, n: number): Promise<string[]> {
  let last: string[] = [];
  try {
    return await waitFor(app, async () => ((last = await storedAddresses(call, tenantId)).length >= n ? last : undefined), `${n} stored events`);
  } catch (err) {
    throw new Error(`${(err as Error).message}; got ${last.length}: ${last.join(' ')}`);
  }
}

const expected = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}.${from + i}`);

describe('file collectors (sqlite)', () => {
  let t: TestApp;
  let logDir: string;
  let restarted: App | null = null;

  before(async () => {
    logDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-filecoll-')));
    t = await startTestApp('sqlite', { XDRHUB_FILE_COLLECTOR_DIRS: logDir });
    await t.app.services.events.startCollectors();
  });
  after(async () => {
    if (restarted) {
      await restarted.close();
      await t.testDb.drop();
    } else await t?.close();
    fs.rmSync(logDir, { recursive: true, force: true });
  });

  async function tenantWithRule(name: string): Promise<string> {
    const id = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name })).body.id;
    assert.equal((await t.call('POST', `/api/v1/tenants/${id}/detection-rules`, { yaml: RULE })).status, 201);
    return id;
  }

  async function fileCollector(tenantId: string, file: string, extra: Record<string, unknown> = {}) {
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: path.basename(file), kind: 'file', defaultSource: 'linux-sshd', file: { path: file, startAt: 'beginning' }, ...extra });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.collector;
  }

  test('lines appended to a file become stored events and a Sigma alert; the collector shows its reading and metrics', async () => {
    const tenantId = await tenantWithRule('File customer');
    const file = path.join(logDir, 'auth.log');
    fs.writeFileSync(file, authLine('198.51.100.1') + '\n');
    const c = await fileCollector(tenantId, file);
    assert.equal(c.kind, 'file');
    assert.deepEqual(c.file, { path: file, startAt: 'beginning' });
    assert.equal(c.listeningPort, null);
    fs.appendFileSync(file, `${authLine('198.51.100.2', 'admin')}\nnot an sshd line at all\n`);
    const alert = await waitFor(t.app, async () => (await t.call('GET', `/api/v1/tenants/${tenantId}/alerts?observable=198.51.100.2`)).body.items[0], 'the alert');
    assert.equal(alert.title, 'SSH failed password');
    assert.deepEqual(alert.techniques, ['T1110.001']);
    assert.deepEqual((await storedAddresses(t.call, tenantId)).sort(), ['198.51.100.1', '198.51.100.2']);
    const view = (await t.call('GET', `/api/v1/tenants/${tenantId}/collectors/${c.id}`)).body;
    assert.equal(view.fileStatus.state, 'reading');
    assert.equal(view.fileStatus.offset, fs.statSync(file).size);
    assert.equal(view.metrics.received, 3);
    assert.equal(view.metrics.stored, 2);
    assert.equal(view.metrics.parseErrors, 1);
  });

  test('a file that does not exist yet is fine: the status says so, and its lines are read once it appears', async () => {
    const tenantId = await tenantWithRule('Waiting customer');
    const file = path.join(logDir, 'later', 'app.log');
    const c = await fileCollector(tenantId, file, { file: { path: file } });
    const view = await waitFor(t.app, async () => {
      const v = (await t.call('GET', `/api/v1/tenants/${tenantId}/collectors/${c.id}`)).body;
      return v.fileStatus.detail === 'opening the file' ? undefined : v;
    }, 'the first look at the file');
    assert.equal(view.fileStatus.state, 'waiting');
    assert.match(view.fileStatus.detail, /does not exist/);
    assert.equal(view.fileStatus.size, null);
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, authLines('192.0.2', 1, 4));
    assert.deepEqual((await waitStored(t.app, t.call, tenantId, 3)).sort(), expected('192.0.2', 1, 4).sort(), 'a file created later is read from its start although startAt is end');
  });

  test('rotation (rename + new file) and truncation lose no line and repeat none', async () => {
    const tenantId = await tenantWithRule('Rotation customer');
    const file = path.join(logDir, 'rotating.log');
    fs.writeFileSync(file, authLines('10.1.0', 0, 20));
    await fileCollector(tenantId, file);
    await waitStored(t.app, t.call, tenantId, 20);
    // logrotate "create": rename, the writer adds a few lines to the renamed file, then a new file.
    fs.appendFileSync(file, authLines('10.1.0', 20, 25));
    fs.renameSync(file, `${file}.1`);
    fs.appendFileSync(`${file}.1`, authLines('10.1.0', 25, 30));
    fs.writeFileSync(file, authLines('10.1.0', 30, 40));
    await waitStored(t.app, t.call, tenantId, 40);
    // logrotate "copytruncate": the file is emptied in place and written again.
    await sleep(100);
    fs.truncateSync(file, 0);
    await sleep(1200); // more than one poll: the truncation is seen before the new lines arrive
    fs.appendFileSync(file, authLines('10.1.0', 40, 45));
    const got = await waitStored(t.app, t.call, tenantId, 45);
    await sleep(300);
    assert.deepEqual((await storedAddresses(t.call, tenantId)).sort(), expected('10.1.0', 0, 45).sort(), 'each line stored exactly once');
    assert.equal(got.length, 45);
  });

  test('a path outside XDRHUB_FILE_COLLECTOR_DIRS (directly, through a symlink or "..") is a 400 naming file.path; other misuse names its field', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'shadow'), 'root:x:0:0\n');
      fs.symlinkSync(path.join(outside, 'shadow'), path.join(logDir, 'innocent.log'));
      fs.symlinkSync(outside, path.join(logDir, 'dir-link'));
      const create = (body: Record<string, unknown>) => t.call('POST', `/api/v1/tenants/${t.rootId}/collectors`, { name: 'f', kind: 'file', defaultSource: 'linux-sshd', ...body });
      for (const p of ['/etc/shadow', path.join(logDir, 'innocent.log'), `${logDir}/../${path.basename(outside)}/shadow`, path.join(logDir, 'dir-link', 'shadow'), 'relative/auth.log', `${logDir}/a\u0000b`, logDir]) {
        const res = await create({ file: { path: p } });
        assert.equal(res.status, 400, `${p}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.details.field, 'file.path', p);
      }
      const cases: Array<[Record<string, unknown>, string]> = [
        [{}, 'file'],
        [{ file: { path: path.join(logDir, 'x.log') }, port: 514 }, 'port'],
        [{ file: { path: path.join(logDir, 'x.log') }, sourceOverrides: { '10.0.0.1': 'linux-sshd' } }, 'sourceOverrides'],
        [{ file: { path: path.join(logDir, 'x.log') }, defaultSource: 'no-such-source' }, 'defaultSource'],
      ];
      for (const [body, field] of cases) {
        const res = await create(body);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.error.details.field, field);
      }
      const syslogWithFile = await t.call('POST', `/api/v1/tenants/${t.rootId}/collectors`, { name: 's', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd', file: { path: path.join(logDir, 'x.log') } });
      assert.equal(syslogWithFile.status, 400);
      assert.equal(syslogWithFile.body.error.details.field, 'file');
      const badStart = await create({ file: { path: path.join(logDir, 'x.log'), startAt: 'middle' } });
      assert.equal(badStart.status, 400);
      assert.equal((await t.call('GET', `/api/v1/tenants/${t.rootId}/collectors`)).body.items.filter((c: any) => c.name === 'f').length, 0, 'nothing refused was created');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('only an administrator of the Root tenant sets a file path; a customer\'s tenant administrator gets 403 but may disable and delete', async () => {
    const tenantId = await tenantWithRule('Delegated customer');
    const { token } = await t.userWithRole('tenantAdmin', tenantId);
    const body = { name: 'f', kind: 'file', defaultSource: 'linux-sshd', file: { path: path.join(logDir, 'customer.log') } };
    const denied = await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, body, token);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.details.field, 'file');
    assert.equal((await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, { name: 'u', kind: 'syslog-udp', port: 0, defaultSource: 'linux-sshd' }, token)).status, 201, 'other kinds stay theirs');
    const c = (await t.call('POST', `/api/v1/tenants/${tenantId}/collectors`, body)).body.collector;
    const repath = await t.call('PATCH', `/api/v1/tenants/${tenantId}/collectors/${c.id}`, { file: { path: path.join(logDir, 'other.log') } }, token);
    assert.equal(repath.status, 403);
    const off = await t.call('PATCH', `/api/v1/tenants/${tenantId}/collectors/${c.id}`, { enabled: false }, token);
    assert.equal(off.status, 200);
    assert.equal(off.body.fileStatus, null, 'a disabled file collector reads nothing');
    assert.equal((await t.call('DELETE', `/api/v1/tenants/${tenantId}/collectors/${c.id}`, undefined, token)).status, 204);
  });

  test('disabled, re-pathed, deleted, tenant deleted: the tailer stops each time', async () => {
    const tenantId = await tenantWithRule('Lifecycle customer');
    const a = path.join(logDir, 'a.log');
    const b = path.join(logDir, 'b.log');
    fs.writeFileSync(a, authLines('10.2.0', 0, 2));
    fs.writeFileSync(b, authLines('10.3.0', 0, 2));
    const c = await fileCollector(tenantId, a);
    await waitStored(t.app, t.call, tenantId, 2);
    const moved = await t.call('PATCH', `/api/v1/tenants/${tenantId}/collectors/${c.id}`, { file: { path: b, startAt: 'beginning' } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.file.path, b);
    await waitStored(t.app, t.call, tenantId, 4);
    fs.appendFileSync(a, authLines('10.2.0', 2, 3));
    const outside = await t.call('PATCH', `/api/v1/tenants/${tenantId}/collectors/${c.id}`, { file: { path: '/etc/passwd' } });
    assert.equal(outside.status, 400);
    assert.equal(outside.body.error.details.field, 'file.path');
    // Deleting the tenant stops its collector at once: later lines are not read.
    assert.ok((await t.call('DELETE', `/api/v1/tenants/${tenantId}`)).status < 300);
    assert.equal((t.app.services.events as any).listeners.has(c.id), false);
    fs.appendFileSync(b, authLines('10.3.0', 2, 4));
    await sleep(700);
    await t.app.services.events.idle();
    const count = await t.app.services.database.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 4, 'the first file was left after the re-path, and nothing was read after the tenant deletion');
  });

  // Last: it replaces the app.
  test('a restart resumes from the saved offset: lines written while the app was down are stored once, none repeated', async () => {
    const tenantId = await tenantWithRule('Restart customer');
    const file = path.join(logDir, 'restart.log');
    fs.writeFileSync(file, authLines('10.9.0', 0, 10));
    const c = await fileCollector(tenantId, file);
    fs.appendFileSync(file, authLines('10.9.0', 10, 15) + 'Nov 28 11:10:00 web01 sshd[2301]: Failed password for root from 10.9.0.');
    await waitStored(t.app, t.call, tenantId, 15);
    await t.app.close();
    // While down: the partial line is completed, more lines come, and the file is rotated.
    fs.appendFileSync(file, `15 port 41520 ssh2\n${authLines('10.9.0', 16, 20)}`);
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, authLines('10.9.0', 20, 25));
    const database = await t.testDb.open();
    restarted = await buildApp(loadConfig(t.env), { logger: createLogger('silent', new LogCapture()), database, env: t.env });
    await restarted.services.events.startCollectors();
    const call = caller(restarted, t.adminToken);
    const got = await waitStored(restarted, call, tenantId, 25);
    await sleep(300);
    assert.deepEqual((await storedAddresses(call, tenantId)).sort(), expected('10.9.0', 0, 25).sort());
    assert.equal(got.length, 25);
    const view = (await call('GET', `/api/v1/tenants/${tenantId}/collectors/${c.id}`)).body;
    assert.equal(view.fileStatus.state, 'reading');
    assert.ok(await waitFor(restarted, async () => (await call('GET', `/api/v1/tenants/${tenantId}/alerts?observable=10.9.0.24`)).body.items[0], 'an alert after the restart'));
  });
});

describe('file collectors without XDRHUB_FILE_COLLECTOR_DIRS', () => {
  let t: TestApp;
  before(async () => (t = await startTestApp('sqlite')));
  after(async () => t?.close());

  test('are refused with a 400 on file.path that names the setting', async () => {
    const res = await t.call('POST', `/api/v1/tenants/${t.rootId}/collectors`, { name: 'f', kind: 'file', defaultSource: 'linux-sshd', file: { path: '/var/log/auth.log' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.details.field, 'file.path');
    assert.match(res.body.error.message, /XDRHUB_FILE_COLLECTOR_DIRS/);
  });
});
