import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { KEY_FILE_NAME, KeyringError, keyIdOf, loadKeyring, readKeyFile, writeKeyFile } from './keyring.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-keyring-'));
const b64 = (n = 32) => randomBytes(n).toString('base64');

test('first start creates the key file with mode 0600 and reuses it afterwards', (t) => {
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = loadKeyring({ env: {}, dataDir: dir });
  const file = path.join(dir, KEY_FILE_NAME);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(first.source, { kind: 'file', file });
  const second = loadKeyring({ env: {}, dataDir: dir });
  assert.equal(second.current().id, first.current().id);
  assert.equal(second.current().key.equals(first.current().key), true);
});

test('a group- or world-readable key file is refused with a message naming the file and the fix', (t) => {
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  loadKeyring({ env: {}, dataDir: dir });
  const file = path.join(dir, KEY_FILE_NAME);
  for (const mode of [0o640, 0o604]) {
    fs.chmodSync(file, mode);
    assert.throws(() => loadKeyring({ env: {}, dataDir: dir }), (err: Error) => {
      assert.ok(err instanceof KeyringError);
      assert.match(err.message, /readable by group or others/);
      assert.ok(err.message.includes(file));
      assert.match(err.message, /chmod 600/);
      return true;
    });
  }
});

test('the key id is a short hash of the key and never the key itself', () => {
  const raw = randomBytes(32);
  const ring = loadKeyring({ env: { XDRHUB_MASTER_KEY: raw.toString('base64') } });
  assert.equal(ring.current().id, keyIdOf(raw));
  assert.match(ring.current().id, /^[0-9a-f]{12}$/);
  assert.ok(!raw.toString('hex').includes(ring.current().id));
  assert.equal(ring.source.kind, 'env');
});

test('a malformed XDRHUB_MASTER_KEY is rejected naming the variable and not echoing the value', () => {
  const cases = [b64(16), b64(33), 'not base64 at all!', 'c2hvcnQ='];
  for (const bad of cases) {
    assert.throws(() => loadKeyring({ env: { XDRHUB_MASTER_KEY: bad } }), (err: Error) => {
      assert.ok(err instanceof KeyringError);
      assert.match(err.message, /XDRHUB_MASTER_KEY must be base64 of 32 random bytes/);
      assert.ok(!err.message.includes(bad));
      return true;
    });
  }
  assert.throws(() => loadKeyring({ env: { XDRHUB_MASTER_KEY: b64(), XDRHUB_PREVIOUS_MASTER_KEYS: `${b64()}, ${b64(20)}` } }), /XDRHUB_PREVIOUS_MASTER_KEYS \(entry 2\)/);
});

test('previous env keys decrypt old data: current first, then previous, duplicates dropped', () => {
  const [a, b, c] = [b64(), b64(), b64()];
  const ring = loadKeyring({ env: { XDRHUB_MASTER_KEY: a, XDRHUB_PREVIOUS_MASTER_KEYS: `${b},${c},${a}` } });
  assert.deepEqual(
    ring.keys().map((k) => k.id),
    [a, b, c].map((k) => keyIdOf(Buffer.from(k, 'base64'))),
  );
  assert.ok(ring.byId(keyIdOf(Buffer.from(c, 'base64'))));
});

test('reload and refreshIfChanged pick up a key file rewritten by another process', (t) => {
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ring = loadKeyring({ env: {}, dataDir: dir });
  const file = path.join(dir, KEY_FILE_NAME);
  const old = ring.current();
  const fresh = randomBytes(32);
  writeKeyFile(file, [{ id: keyIdOf(fresh), key: fresh }, ...readKeyFile(file)]);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(ring.refreshIfChanged(), true);
  assert.equal(ring.current().id, keyIdOf(fresh));
  assert.ok(ring.byId(old.id));
  assert.equal(ring.refreshIfChanged(), false);
  assert.equal(ring.reload(), false);
});
