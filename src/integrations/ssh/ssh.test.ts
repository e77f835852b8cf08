import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../platform/log/index.ts';
import type { ConnectorContext } from '../framework/contract.ts';
import { validateAgainst } from '../framework/validate.ts';
import { startSshd, sshdUnavailable, type SshServer } from '../../../test/support/sshd.ts';
import { closeIdleConnections, fetchHostKey, sshConnector, sshPoolStats } from './index.ts';

// Against a REAL OpenSSH server (Debian's sshd on loopback, test/support/sshd.ts): logins,
// host-key pinning, the remote timeout, byte-exact hostile arguments, output caps and
// connection reuse. The HTTP API path and the secret canary are in ssh.api.test.ts.
const unavailable = sshdUnavailable();
if (unavailable) console.log(`# real sshd tests skipped: ${unavailable}`);

let n = 0;
function ctxFor(server: SshServer, config: Record<string, unknown> = {}, secrets: Record<string, string> = { password: server.password }, signal = new AbortController().signal): ConnectorContext<any, any> {
  const full = validateAgainst(sshConnector.configSchema, { host: server.host, port: server.port, username: server.user, hostKey: server.hostKeyLine, ...config }, 'config');
  return { instance: { id: `inst-${++n}`, tenantId: 't', name: 'scripts', type: 'ssh' }, config: full, secrets, logger: createLogger('silent'), http: undefined as never, signal };
}
let workDir = '/tmp';
/** Runs in the test server's work directory unless told otherwise (/opt/xdr_scripts is absent here). */
const runScript = (ctx: ConnectorContext<any, any>, params: Record<string, unknown>) =>
  sshConnector.actions.runScript.execute(ctx, { kind: 'alert', value: 'ALR-1' }, validateAgainst(sshConnector.actions.runScript.paramsSchema, { workingDirectory: workDir, ...params }, 'params'));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ssh connector against a real sshd', { skip: unavailable }, () => {
  let s: SshServer;
  let other: SshServer;
  before(async () => {
    [s, other] = await Promise.all([startSshd(), startSshd()]);
    workDir = s.workDir;
  });
  after(async () => {
    closeIdleConnections();
    await Promise.all([s?.stop(), other?.stop()]);
  });

  test('password login: check passes every stage and runs true', async () => {
    const r = await sshConnector.check(ctxFor(s));
    assert.equal(r.ok, true, r.message);
    assert.equal(r.stage, 'request');
    assert.deepEqual([r.details?.sshStage, r.details?.hostKeyVerified, (r.details?.hostKeySeen as any).fingerprint], ['run', true, s.fingerprint]);
  });

  for (const name of ['ed25519', 'rsa', 'ed25519WithPassphrase', 'rsaWithPassphrase'] as const) {
    test(`key login: ${name}`, async () => {
      const key = s.clientKeys[name];
      const r = await sshConnector.check(ctxFor(s, {}, { privateKey: key.privateKey, ...(key.passphrase ? { passphrase: key.passphrase } : {}) }));
      assert.equal(r.ok, true, r.message);
    });
  }

  test('an encrypted key without its passphrase, or with a wrong one, is a settings error', async () => {
    const key = s.clientKeys.ed25519WithPassphrase.privateKey;
    const missing = await sshConnector.check(ctxFor(s, {}, { privateKey: key }));
    assert.deepEqual([missing.ok, missing.stage], [false, 'config']);
    assert.match(missing.message, /secrets\.passphrase: the private key is encrypted/);
    const wrong = await sshConnector.check(ctxFor(s, {}, { privateKey: s.clientKeys.rsaWithPassphrase.privateKey, passphrase: 'nope nope' }));
    assert.match(wrong.message, /secrets\.passphrase: does not decrypt/);
  });

  test('a wrong password fails at the authenticate stage, without echoing it', async () => {
    const r = await sshConnector.check(ctxFor(s, {}, { password: 'Wrong-Canary-Pw-123' }));
    assert.deepEqual([r.ok, r.stage, r.details?.sshStage], [false, 'authenticate', 'authenticate']);
    assert.match(r.message, /refused the password of user xdrhubssh/);
    assert.doesNotMatch(JSON.stringify(r), /Wrong-Canary/);
  });

  test('nothing listening: connect stage', async () => {
    const r = await sshConnector.check(ctxFor(s, { port: 1 }));
    assert.deepEqual([r.ok, r.stage, r.details?.sshStage], [false, 'connect', 'connect']);
  });

  test('fetchHostKey returns the key and fingerprint without logging in', async () => {
    const before = fs.readFileSync(other.logFile, 'utf8').length;
    const seen = await fetchHostKey(other.host, other.port);
    assert.deepEqual(seen, { key: other.hostKeyLine, fingerprint: other.fingerprint });
    await sleep(200);
    const log = fs.readFileSync(other.logFile, 'utf8').slice(before);
    assert.match(log, /Connection from 127\.0\.0\.1/);
    assert.doesNotMatch(log, /Invalid user|Accepted|Failed|userauth/i);
    // The same helper as an action, and check without a pinned key shows the fingerprint.
    const action = await sshConnector.actions.fetchHostKey.execute(ctxFor(other), { kind: 'none', value: '' }, {});
    assert.deepEqual([action.output?.fingerprint, action.output?.matchesSaved], [other.fingerprint, true]);
    const unpinned = await sshConnector.check(ctxFor(other, { hostKey: undefined }));
    assert.deepEqual([unpinned.ok, unpinned.stage, (unpinned.details?.hostKeySeen as any).fingerprint], [false, 'config', other.fingerprint]);
  });

  test('host key mismatch: refused before authentication, nothing runs', async () => {
    const marker = path.join(other.workDir, 'ran-despite-mismatch');
    const script = other.writeScript('touch-marker.sh', `#!/bin/sh\ntouch '${marker}'\n`);
    const before = fs.readFileSync(other.logFile, 'utf8').length;
    // Pinned: the first server's key; connecting to the second one.
    const ctx = ctxFor(other, { hostKey: s.hostKeyLine });
    await assert.rejects(runScript(ctx, { scriptPath: script }), (err: any) => err.sshStage === 'hostKey' && err.message.includes(other.fingerprint) && err.message.includes(s.fingerprint) && /nothing was sent/.test(err.message));
    const check = await sshConnector.check(ctx);
    assert.deepEqual([check.ok, check.stage, check.details?.sshStage], [false, 'connect', 'hostKey']);
    await sleep(200);
    assert.equal(fs.existsSync(marker), false);
    const log = fs.readFileSync(other.logFile, 'utf8').slice(before);
    assert.match(log, /Connection from 127\.0\.0\.1/);
    assert.doesNotMatch(log, /Accepted|Failed|Invalid user|userauth|session opened/i, 'sshd saw no login attempt');
  });

  test('verification off: the run succeeds and records the key it saw', async () => {
    const r = await runScript(ctxFor(other, { verifyHostKey: false, hostKey: undefined }), { scriptPath: '/bin/echo', args: ['hello'] });
    assert.equal(r.output?.stdout, 'hello\n');
    assert.equal(r.output?.hostKeyVerified, false);
    assert.deepEqual(r.output?.hostKeySeen, { key: other.hostKeyLine, fingerprint: other.fingerprint });
    const pinned = await runScript(ctxFor(s), { scriptPath: '/bin/echo', args: ['x'] });
    assert.equal(pinned.output?.hostKeySeen, undefined);
    // A failed run's history entry is its message: the key seen is in it too.
    await assert.rejects(runScript(ctxFor(other, { verifyHostKey: false, hostKey: undefined }), { scriptPath: '/bin/false' }), (err: any) => err.message.includes(`host key NOT verified (127.0.0.1:${other.port} presented ${other.fingerprint})`));
    await assert.rejects(runScript(ctxFor(s), { scriptPath: '/bin/false' }), (err: any) => /exited with code 1$/.test(err.message));
  });

  test('hostile arguments and environment arrive byte-exact and execute nothing', async () => {
    const out = path.join(s.workDir, 'argv.bin');
    const pwned = path.join(s.workDir, 'pwned');
    const script = s.writeScript('argv.sh', `#!/bin/sh\nprintf '%s\\0' "$@" > "$OUT"\nprintf '%s' "$HOSTILE" > "$OUT.env"\npwd > "$OUT.pwd"\n`);
    const args = [`$(touch ${pwned})`, `\`touch ${pwned}\``, `; touch ${pwned}; reboot`, "it's \"quoted\"", "'", '\\', 'back\\\\slash\\n', 'line1\nline2\r\n', '', ' spaced  out ', '-n', '*', '$HOME', 'ünïcödé ✓ 😀 Мир', 'x'.repeat(100 * 1024)];
    const r = await runScript(ctxFor(s), { workingDirectory: s.workDir, scriptPath: './argv.sh', args, env: { OUT: out, HOSTILE: `'; touch ${pwned}; '$(id)\n` } });
    assert.equal(r.output?.exitCode, 0);
    const received = fs.readFileSync(out).toString('utf8').split('\0').slice(0, -1);
    assert.equal(received.length, args.length);
    assert.deepEqual(received, args);
    assert.equal(fs.readFileSync(`${out}.env`, 'utf8'), `'; touch ${pwned}; '$(id)\n`);
    assert.equal(fs.readFileSync(`${out}.pwd`, 'utf8').trim(), s.workDir);
    assert.equal(fs.existsSync(pwned), false);
    assert.ok(script);
  });

  test('NUL is refused with a 400 naming the argument; nothing is sent', async () => {
    const opened = sshPoolStats().connectionsOpened;
    await assert.rejects(runScript(ctxFor(s), { scriptPath: '/bin/echo', args: ['ok', 'a\u0000b'] }), (err: any) => err.status === 400 && /params\.args\[1\]: contains a NUL/.test(err.message));
    await assert.rejects(runScript(ctxFor(s), { scriptPath: '/bin/echo', env: { X: '\u0000' } }), /params\.env\.X: contains a NUL/);
    assert.equal(sshPoolStats().connectionsOpened, opened);
  });

  test('timeout kills the remote script and its children', async () => {
    const pidFile = path.join(s.workDir, 'slow.pid');
    const childFile = path.join(s.workDir, 'slow.child');
    const script = s.writeScript('slow.sh', `#!/bin/sh\necho $$ > '${pidFile}'\nsleep 60 &\necho $! > '${childFile}'\nwait\n`);
    const started = Date.now();
    await assert.rejects(runScript(ctxFor(s), { scriptPath: script, timeoutSeconds: 1 }), (err: any) => /ran longer than 1 s and was killed/.test(err.message) && err.output?.exitCode === 124);
    assert.ok(Date.now() - started < 5000);
    const pids = [fs.readFileSync(pidFile, 'utf8'), fs.readFileSync(childFile, 'utf8')].map(Number);
    for (let i = 0; i < 20 && pids.some(alive); i++) await sleep(100);
    assert.deepEqual(pids.map(alive), [false, false], 'the script and its sleep are gone');
  });

  test('cancelling a run (instance disabled, tenant deleted) stops the remote script', async () => {
    const pidFile = path.join(s.workDir, 'cancel.pid');
    const script = s.writeScript('cancel.sh', `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 60\n`);
    const ac = new AbortController();
    const run = runScript(ctxFor(s, {}, undefined, ac.signal), { scriptPath: script });
    for (let i = 0; i < 50 && !fs.existsSync(pidFile); i++) await sleep(50);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.equal(alive(pid), true);
    ac.abort();
    await assert.rejects(run, /was cancelled and the script was stopped/);
    for (let i = 0; i < 20 && alive(pid); i++) await sleep(100);
    assert.equal(alive(pid), false);
  });

  test('stdout is capped at 1 MiB with a truncation flag; a failing exit code throws with the stderr tail', async () => {
    const big = s.writeScript('big.sh', `#!/bin/sh\nhead -c 1500000 /dev/zero | tr '\\000' a\necho small >&2\n`);
    const r = await runScript(ctxFor(s), { scriptPath: big });
    assert.equal((r.output?.stdout as string).length, 1024 * 1024);
    assert.deepEqual([r.output?.stdoutTruncated, r.output?.stderrTruncated, r.output?.truncated, r.output?.stderr], [true, false, true, 'small\n']);
    assert.match(r.summary, /output truncated/);
    const fail = s.writeScript('fail.sh', `#!/bin/sh\necho "firewall said no: $1" >&2\nexit 3\n`);
    await assert.rejects(runScript(ctxFor(s), { scriptPath: fail, args: ['10.0.0.1'] }), (err: any) => /exited with code 3; stderr ends with: firewall said no: 10\.0\.0\.1/.test(err.message) && err.output.exitCode === 3 && err.retryable === false);
    await assert.rejects(runScript(ctxFor(s), { scriptPath: './missing.sh', workingDirectory: s.workDir }), /could not be started .*exit code 127: not found/);
  });

  test('many runs in parallel share connections: 8 channels per connection, the rest wait', async () => {
    const script = s.writeScript('par.sh', '#!/bin/sh\nsleep 0.3\necho "$1"\n');
    const ctx = ctxFor(s, { maxParallelRuns: 16 });
    const sshdBefore = s.connectionCount();
    const poolBefore = sshPoolStats().connectionsOpened;
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 48 }, (_, i) => runScript(ctx, { scriptPath: script, args: [String(i)] })));
    const wall = Date.now() - started;
    assert.deepEqual(results.map((r) => r.output?.stdout), Array.from({ length: 48 }, (_, i) => `${i}\n`));
    assert.equal(sshPoolStats().connectionsOpened - poolBefore, 2, '16 parallel runs = 2 connections of 8 channels');
    assert.equal(s.connectionCount() - sshdBefore, 2, 'sshd saw 2 connections');
    // 48 runs of 0.3 s, 16 at a time: 3 waves (≈1 s); one at a time would take 14 s.
    assert.ok(wall < 4000, `took ${wall} ms`);
    assert.ok(results.filter((r) => r.output?.connectionReused).length >= 46);
  });
});
