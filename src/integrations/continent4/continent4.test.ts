import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../platform/log/index.ts';
import type { ConnectorContext, ConnectorType } from '../framework/contract.ts';
import { validateAgainst } from '../framework/validate.ts';
import { startSshd, sshdUnavailable, type SshServer } from '../../../test/support/sshd.ts';
import { closeIdleConnections } from '../ssh/index.ts';
import { blockableIp, continent4Connector } from './index.ts';
import { skdpuConnector, validAccount } from '../skdpu/index.ts';

// Continent 4 and SKDPU NT act through the customer's script: the example scripts from
// docs/examples run on a real sshd, called with the documented argument contract.
const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/examples');
const unavailable = sshdUnavailable();
if (unavailable) console.log(`# real sshd tests skipped: ${unavailable}`);

describe('argument validation (no network)', () => {
  test('IPs: v4 dotted quads and v6, normalised; nothing else', () => {
    assert.equal(blockableIp('203.0.113.7'), '203.0.113.7');
    assert.equal(blockableIp('2001:DB8:0:0::1'), '2001:db8::1');
    assert.equal(blockableIp('::ffff:198.51.100.2'), '198.51.100.2');
    for (const bad of ['1.2.3', '203.0.113.7; reboot', '$(id)', '10.0.0.0/8', '0.0.0.0', '255.255.255.255', '224.0.0.1', '-1.2.3.4', '']) {
      assert.throws(() => blockableIp(bad), (err: any) => err.status === 400 && /target\.value/.test(err.message), bad);
    }
  });

  test('accounts: strict names, optional @domain', () => {
    for (const ok of ['jdoe', 'j.doe_2', 'svc-backup', 'admin@corp.example']) assert.equal(validAccount(ok), ok);
    for (const bad of ['-rf', 'a b', "o'brien", 'x;reboot', '$(id)', 'CORP\\jdoe', 'a@', 'x'.repeat(65), '']) {
      assert.throws(() => validAccount(bad), /target\.value/, bad);
    }
  });

  test('undo pairs and target kinds', () => {
    assert.deepEqual([continent4Connector.actions.blockIp.undo, continent4Connector.actions.unblockIp.undo], ['unblockIp', 'blockIp']);
    assert.deepEqual([skdpuConnector.actions.blockAccount.undo, skdpuConnector.actions.unblockAccount.undo], ['unblockAccount', 'blockAccount']);
    assert.deepEqual(skdpuConnector.actions.terminateSessions.targetKinds, ['account', 'observable:userName']);
    // The ssh settings are reused as they are, plus the script.
    for (const field of ['host', 'port', 'verifyHostKey', 'hostKey', 'username', 'scriptPath']) assert.ok(field in continent4Connector.configSchema.properties, field);
    assert.deepEqual(Object.keys(skdpuConnector.secretsSchema.properties), ['password', 'privateKey', 'passphrase']);
  });
});

describe('continent4 and skdpu through the example scripts on a real sshd', { skip: unavailable }, () => {
  let s: SshServer;
  before(async () => {
    s = await startSshd();
    for (const name of ['continent4.sh', 'skdpu.sh']) s.writeScript(name, fs.readFileSync(path.join(EXAMPLES, name), 'utf8'));
  });
  after(async () => {
    closeIdleConnections();
    await s?.stop();
  });

  let n = 0;
  function ctx(type: ConnectorType<any, any>, script: string): ConnectorContext<any, any> {
    const config = validateAgainst(type.configSchema, { host: s.host, port: s.port, username: s.user, hostKey: s.hostKeyLine, workingDirectory: s.workDir, scriptPath: `./${script}` }, 'config');
    return { instance: { id: `c-${++n}`, tenantId: 't', name: type.type, type: type.type }, config, secrets: { privateKey: s.clientKeys.ed25519.privateKey }, logger: createLogger('silent'), http: undefined as never, signal: new AbortController().signal };
  }
  const act = (type: ConnectorType<any, any>, c: ConnectorContext<any, any>, action: string, target: any, params: unknown = {}) =>
    type.actions[action].execute(c, target, validateAgainst(type.actions[action].paramsSchema, params, 'params'));

  test('continent4: check, block, block again (idempotent), unblock', async () => {
    const c = ctx(continent4Connector, 'continent4.sh');
    assert.equal((await continent4Connector.check(c)).ok, true);
    const state = path.join(s.workDir, 'continent4-blocked.txt');
    const ip = { kind: 'observable:ip', value: '2001:DB8::7' };
    const blocked = await act(continent4Connector, c, 'blockIp', ip, { comment: "alert ALR-9 'quoted'" });
    assert.match(blocked.summary, /^block-ip 2001:db8::7: \.\/continent4\.sh succeeded .*: blocked: 2001:db8::7 \(alert ALR-9 'quoted'\)/);
    assert.deepEqual([blocked.output?.verb, blocked.output?.value, blocked.output?.exitCode], ['block-ip', '2001:db8::7', 0]);
    assert.equal((await act(continent4Connector, c, 'blockIp', ip)).output?.stdout, 'already blocked: 2001:db8::7\n');
    await act(continent4Connector, c, 'blockIp', { kind: 'observable:ip', value: '203.0.113.5' });
    assert.equal(fs.readFileSync(state, 'utf8'), '2001:db8::7\n203.0.113.5\n');
    await act(continent4Connector, c, 'unblockIp', ip);
    assert.equal(fs.readFileSync(state, 'utf8'), '203.0.113.5\n');
    await assert.rejects(act(continent4Connector, c, 'blockIp', { kind: 'observable:ip', value: '1.2.3.4; touch /tmp/x' }), /target\.value/);
  });

  test('skdpu: block, unblock, terminate sessions; a failing script reports its exit code', async () => {
    const c = ctx(skdpuConnector, 'skdpu.sh');
    const who = { kind: 'account', value: 'jdoe@corp.example' };
    await act(skdpuConnector, c, 'blockAccount', who);
    const stateDir = path.join(s.workDir, 'skdpu-state');
    assert.equal(fs.readFileSync(path.join(stateDir, 'blocked.txt'), 'utf8'), 'jdoe@corp.example\n');
    const ended = await act(skdpuConnector, c, 'terminateSessions', who);
    assert.equal(ended.output?.stdout, 'sessions terminated: jdoe@corp.example\n');
    assert.match(fs.readFileSync(path.join(stateDir, 'terminated.log'), 'utf8'), /\tjdoe@corp\.example\n$/);
    await act(skdpuConnector, c, 'unblockAccount', who);
    assert.equal(fs.readFileSync(path.join(stateDir, 'blocked.txt'), 'utf8'), '');
    s.writeScript('skdpu-broken.sh', '#!/bin/sh\necho "SKDPU NT refused: $1 $2" >&2\nexit 3\n');
    await assert.rejects(act(skdpuConnector, ctx(skdpuConnector, 'skdpu-broken.sh'), 'blockAccount', who), /exited with code 3; stderr ends with: SKDPU NT refused: block-account jdoe@corp\.example/);
  });
});
