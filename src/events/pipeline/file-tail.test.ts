// The file tailer on its own: line framing, rotation, truncation, backpressure, resuming from the
// saved offset, and the allowed-directory check (symlinks and `..` resolved).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import client from 'prom-client';
import { BoundedQueue } from './queue.ts';
import { PipelineMetrics } from './metrics.ts';
import { FileTailer } from './file-tail.ts';
import { TailOffsets } from './tail-offsets.ts';
import { checkFilePath, parseFileCollectorDirs } from './file-path.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];
const open: FileTailer[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup(opts: { startAt?: 'end' | 'beginning'; capacity?: number; maxLineBytes?: number } = {}) {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-tail-')));
  dirs.push(root);
  const logs = path.join(root, 'logs');
  fs.mkdirSync(logs);
  const file = path.join(logs, 'app.log');
  const queue = new BoundedQueue(opts.capacity ?? 100_000);
  const metrics = new PipelineMetrics(new client.Registry());
  const offsets = new TailOffsets(path.join(root, 'offsets'));
  const got: string[] = [];
  const collector = { id: 'c1', tenantId: 't1', file: { path: file, startAt: opts.startAt ?? 'beginning' } };
  const start = () => {
    const t = new FileTailer(collector, { queue, metrics, wake: () => {}, offsets, allowedDirs: [logs], pollMs: 20, maxLineBytes: opts.maxLineBytes, chunkBytes: 64 }).start();
    open.push(t);
    return t;
  };
  const drain = () => got.push(...queue.take(1_000_000).map((e) => e.raw));
  /** Waits until `n` lines arrived in total (taking them from the queue as they come). */
  const until = async (n: number) => {
    for (let i = 0; i < 300 && got.length < n; i++) {
      drain();
      if (got.length < n) await sleep(10);
    }
    drain();
    assert.equal(got.length, n, `expected ${n} lines, got ${JSON.stringify(got)}`);
  };
  const stop = async (t: FileTailer) => {
    open.splice(open.indexOf(t), 1);
    await t.close();
  };
  return { root, logs, file, queue, metrics, offsets, got, start, stop, until, drain, m: () => metrics.of('c1') };
}

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`);
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

test('appended lines become events: a partial line waits for its newline, CRLF is stripped, empty lines are skipped', async () => {
  const s = setup();
  fs.writeFileSync(s.file, 'first\r\n\nsecond\npar');
  s.start();
  await s.until(2);
  await sleep(60);
  s.drain();
  assert.deepEqual(s.got, ['first', 'second'], 'the partial line is not an event yet');
  fs.appendFileSync(s.file, 'tial\nthird\n');
  await s.until(4);
  assert.deepEqual(s.got, ['first', 'second', 'partial', 'third']);
  assert.equal(s.m().received, 4);
});

test('startAt end skips what the file held when the collector started', async () => {
  const s = setup({ startAt: 'end' });
  fs.writeFileSync(s.file, text(lines(0, 5)));
  const t = s.start();
  for (let i = 0; i < 100 && t.status().state !== 'reading'; i++) await sleep(10);
  fs.appendFileSync(s.file, text(lines(5, 7)));
  await s.until(2);
  assert.deepEqual(s.got, lines(5, 7));
});

test('a file that does not exist yet is awaited (status waiting) and then read from its first line', async () => {
  const s = setup({ startAt: 'end' });
  const t = s.start();
  await sleep(60);
  assert.equal(t.status().state, 'waiting');
  assert.match(t.status().detail ?? '', /does not exist/);
  fs.writeFileSync(s.file, text(lines(0, 3)));
  await s.until(3);
  assert.deepEqual(s.got, lines(0, 3), 'a file created after the start is new content, even with startAt end');
  assert.equal(t.status().state, 'reading');
});

test('rotation (rename + new file): the old file is finished, including lines written after the rename, then the new one; nothing lost or repeated', async () => {
  const s = setup();
  fs.writeFileSync(s.file, text(lines(0, 10)));
  s.start();
  await s.until(10);
  fs.appendFileSync(s.file, text(lines(10, 15)));
  fs.renameSync(s.file, `${s.file}.1`);
  // The writer still has the old file open for a moment after the rename.
  fs.appendFileSync(`${s.file}.1`, `${text(lines(15, 18))}unterminated`);
  fs.writeFileSync(s.file, text(lines(18, 25)));
  await s.until(26);
  assert.deepEqual(s.got, [...lines(0, 18), 'unterminated', ...lines(18, 25)]);
  // And again, with the old file deleted right away (create, then remove the rotated one).
  fs.renameSync(s.file, `${s.file}.2`);
  fs.writeFileSync(s.file, text(lines(25, 30)));
  await s.until(31);
  assert.deepEqual(s.got.slice(26), lines(25, 30));
});

test('truncation (copytruncate) restarts at the beginning without repeating or losing lines', async () => {
  const s = setup();
  fs.writeFileSync(s.file, text(lines(0, 20)));
  s.start();
  await s.until(20);
  fs.truncateSync(s.file, 0);
  await sleep(60);
  fs.appendFileSync(s.file, text(lines(20, 23)));
  await s.until(23);
  assert.deepEqual(s.got, lines(0, 23));
});

test('a line longer than maxLineBytes is truncated to its head, forwarded and counted as one parse error', async () => {
  const s = setup({ maxLineBytes: 100 });
  fs.writeFileSync(s.file, `short\n${'x'.repeat(1000)}\nafter\n`);
  s.start();
  await s.until(3);
  assert.deepEqual(s.got, ['short', 'x'.repeat(100), 'after']);
  assert.equal(s.m().parseErrors, 1);
  assert.equal(s.m().received, 3);
});

test('backpressure: a full intake pauses reading until it drains; every line arrives once, in order', async () => {
  const s = setup({ capacity: 50 });
  fs.writeFileSync(s.file, text(lines(0, 2000)));
  const t = s.start();
  for (let i = 0; i < 100 && t.status().state !== 'paused'; i++) await sleep(5);
  assert.equal(t.status().state, 'paused');
  assert.ok(s.queue.size < 200, `reading stopped near the capacity (queue ${s.queue.size})`);
  // Take slowly: the tailer resumes each time the queue drains to half.
  for (let i = 0; i < 500 && s.got.length < 2000; i++) {
    s.got.push(...s.queue.take(30).map((e) => e.raw));
    await sleep(2);
  }
  await s.until(2000);
  assert.deepEqual(s.got, lines(0, 2000));
});

test('a restart resumes at the saved offset; a rotation while stopped finishes the old file first', async () => {
  const s = setup();
  fs.writeFileSync(s.file, `${text(lines(0, 5))}half`);
  let t = s.start();
  await s.until(5);
  await s.stop(t);
  assert.deepEqual(s.offsets.load('c1')?.offset, Buffer.byteLength(text(lines(0, 5))), 'the offset ends at the last complete line');
  fs.appendFileSync(s.file, `-line\n${text(lines(5, 8))}`);
  t = s.start();
  await s.until(9);
  assert.deepEqual(s.got.slice(5), ['half-line', ...lines(5, 8)]);
  await s.stop(t);
  // Stopped; meanwhile the file gets lines, is rotated, and a new one starts.
  fs.appendFileSync(s.file, text(lines(8, 10)));
  fs.renameSync(s.file, `${s.file}.1`);
  fs.writeFileSync(s.file, text(lines(10, 12)));
  s.start();
  await s.until(13);
  assert.deepEqual(s.got.slice(9), lines(8, 12));
});

test('the allowed directories: symlinks and ".." are resolved before the prefix check', async () => {
  const s = setup();
  const outside = path.join(s.root, 'secret');
  fs.writeFileSync(outside, 'root:x:0:0\n');
  fs.symlinkSync(outside, path.join(s.logs, 'link.log'));
  fs.symlinkSync(s.root, path.join(s.logs, 'up'));
  const allowed = [s.logs];
  assert.deepEqual(await checkFilePath(path.join(s.logs, 'app.log'), allowed), { ok: true, real: path.join(s.logs, 'app.log') });
  assert.ok((await checkFilePath(path.join(s.logs, 'sub', 'later.log'), allowed)).ok, 'a file in a directory not created yet');
  for (const bad of [path.join(s.logs, 'link.log'), `${s.logs}/../secret`, path.join(s.logs, 'up', 'secret'), `${s.logs}/nope/../../secret`, 'relative.log', `${s.logs}/a\0b`, s.logs]) {
    const res = await checkFilePath(bad, allowed);
    assert.equal(res.ok, false, bad);
  }
  const disabled = await checkFilePath(path.join(s.logs, 'app.log'), []);
  assert.ok(!disabled.ok && /disabled.*XDRHUB_FILE_COLLECTOR_DIRS/.test(disabled.reason));
  assert.deepEqual(parseFileCollectorDirs(undefined), []);
  assert.deepEqual(parseFileCollectorDirs('/var/log/app:/srv/logs/'), ['/var/log/app', '/srv/logs']);
  assert.throws(() => parseFileCollectorDirs('/var/log:relative'), /absolute/);
  // A symlink planted after the collector was accepted is refused when the tailer opens it.
  const file = path.join(s.logs, 'app.log');
  fs.symlinkSync(outside, file);
  const t = s.start();
  await sleep(60);
  assert.equal(t.status().state, 'refused');
  assert.equal(s.queue.size, 0);
});
