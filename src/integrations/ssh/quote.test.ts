import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { buildRemoteCommand, shellQuote } from './quote.ts';
import { fingerprintOf, parseHostKey } from './hostkey.ts';
import { resolveAuth, validHost } from './settings.ts';

// The quoting function is the whole injection defence, so it is checked against the shells
// that really parse it (dash as /bin/sh, and bash): whatever the string, the shell must hand
// the program exactly those bytes as one argument.
const SHELLS = ['/bin/sh', '/bin/bash'];

/** Runs `printf '%s\0' <quoted…>` in a shell and returns the arguments it received. */
function throughShell(shell: string, values: string[]): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${values.map((v, i) => shellQuote(v, `v${i}`)).join(' ')}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return out.split('\0').slice(0, -1);
}

const HOSTILE = ['$(touch /tmp/pwned)', '`touch /tmp/pwned`', '; reboot', "it's", "'", "''", '"double"', 'back\\slash\\', 'new\nline', '\r\n', '*', '~', '$HOME', '!!', '-n', '--', '', ' lead', 'tab\there', 'ünïcödé ✓ 😀', '&& echo x', '| cat', '> /tmp/x', '%s\\n'];

describe('shellQuote', () => {
  test('wraps in single quotes and writes embedded quotes as \'\\\'\'', () => {
    assert.equal(shellQuote('abc', 'a'), "'abc'");
    assert.equal(shellQuote("it's", 'a'), "'it'\\''s'");
    assert.equal(shellQuote('', 'a'), "''");
  });

  test('refuses NUL with a 400 naming the argument', () => {
    assert.throws(() => shellQuote('a\u0000b', 'params.args[3]'), (err: any) => err.status === 400 && /params\.args\[3\]: contains a NUL/.test(err.message));
  });

  for (const shell of SHELLS) {
    test(`hostile values arrive byte-exact as single arguments through ${shell}`, () => {
      assert.deepEqual(throughShell(shell, HOSTILE), HOSTILE);
    });

    test(`any string without NUL round-trips through ${shell} (property)`, () => {
      fc.assert(
        fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replaceAll('\u0000', '')), { maxLength: 6 }), (values) => {
          // A fixed first word: printf with no arguments would still print one empty one.
          assert.deepEqual(throughShell(shell, ['first', ...values]), ['first', ...values]);
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('buildRemoteCommand', () => {
  const base = { workingDirectory: '/opt/xdr scripts', scriptPath: './block.sh', args: ['1.2.3.4', "x'y"], env: { ALERT_ID: '$(id)' }, timeoutSeconds: 30 };

  test('every piece of data is a quoted word; the rest is fixed syntax', () => {
    assert.equal(buildRemoteCommand(base), "cd -- '/opt/xdr scripts' && ALERT_ID='$(id)' exec timeout -k 5 30 './block.sh' '1.2.3.4' 'x'\\''y'");
  });

  test('the shell runs it with argv and environment intact', () => {
    const cmd = buildRemoteCommand({ workingDirectory: '/', scriptPath: '/bin/sh', args: ['-c', 'printf "%s|%s|%s" "$ALERT_ID" "$1" "$PWD"', 'zero', '$(echo pwned)'], env: { ALERT_ID: "a'b $(x)" }, timeoutSeconds: 5 });
    assert.equal(execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' }), "a'b $(x)|$(echo pwned)|/");
  });

  test('refuses bad variable names and NUL in env values, naming them', () => {
    assert.throws(() => buildRemoteCommand({ ...base, env: { 'A;B': 'x' } }), /params\.env\.A;B: is not a valid variable name/);
    assert.throws(() => buildRemoteCommand({ ...base, env: { lower: 'x' } }), /params\.env\.lower/);
    assert.throws(() => buildRemoteCommand({ ...base, env: { OK: 'a\u0000' } }), /params\.env\.OK: contains a NUL/);
    assert.throws(() => buildRemoteCommand({ ...base, args: ['fine', 'bad\u0000'] }), /params\.args\[1\]: contains a NUL/);
  });

  test('a script path starting with "-" cannot become an option of timeout', () => {
    assert.match(buildRemoteCommand({ ...base, scriptPath: '-k' }), / '\.\/-k' /);
  });
});

describe('settings validation', () => {
  test('hosts: names and usual IP forms only', () => {
    for (const ok of ['scripts.corp.example', 'host-1', '127.0.0.1', '::1', 'fe80::1']) assert.equal(validHost(ok), ok);
    for (const bad of ['1.2.3', '0x7f.1', 'a..b', '-lead.example', 'under_score.example', 'a b']) assert.throws(() => validHost(bad), /config\.host/);
  });

  test('exactly one login method', () => {
    assert.deepEqual(resolveAuth({ password: 'pw' }), { kind: 'password', password: 'pw' });
    assert.throws(() => resolveAuth({}), /secrets: set a password or a private key/);
    assert.throws(() => resolveAuth({ password: 'pw', privateKey: 'k' }), /both a password and a private key/);
    assert.throws(() => resolveAuth({ password: 'pw', passphrase: 'x' }), /secrets\.passphrase: is only used with a private key/);
    assert.throws(() => resolveAuth({ privateKey: 'not a key' }), /secrets\.privateKey: is not an OpenSSH or PEM private key/);
  });

  test('host keys are parsed, not pattern-matched', () => {
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]);
    const line = `ssh-ed25519 ${blob.toString('base64')} comment`;
    assert.equal(parseHostKey(line).fingerprint, fingerprintOf(blob));
    assert.equal(parseHostKey(`[host]:2222 ${line}`).type, 'ssh-ed25519');
    assert.throws(() => parseHostKey(`ssh-rsa ${blob.toString('base64')}`), /says ssh-rsa but the key inside is ssh-ed25519/);
    assert.throws(() => parseHostKey('ssh-ed25519 not*base64'), /not base64/);
    assert.throws(() => parseHostKey('hello'), /not an OpenSSH public key line/);
  });
});
