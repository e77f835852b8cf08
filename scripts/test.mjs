#!/usr/bin/env node
// Runs every *.test.ts under src/, test/ and simulators/ with node:test (tsx loader), printing the
// spec report and, at the end, one plain line "N passed, N failed, N skipped" that CI reads.
// Node 20 does not expand globs in `node --test`, so the file list is built here.
// Usage: npm test [-- <path filter substrings…>]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const roots = ['src', 'test', 'simulators'];
const filters = process.argv.slice(2);

function walk(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'fixtures') walk(p, out);
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = roots.flatMap((r) => walk(r, [])).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const args = [
  '--import', 'tsx',
  '--test',
  `--test-concurrency=${process.env.XDRHUB_TEST_CONCURRENCY || 2}`,
  // A test that hangs fails after 5 minutes (the slowest file takes about one).
  '--test-timeout=300000',
  // A file whose tests are all done exits even if something left a handle open (a server, a
  // timer): a leak must not hang CI. Node >= 20.14. (It exits before a file reporter would be
  // flushed, so the totals are read from the spec report's summary lines instead.)
  '--test-force-exit',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  ...files,
];
const child = spawn(process.execPath, args, { stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, XDRHUB_LOG_LEVEL: process.env.XDRHUB_LOG_LEVEL || 'silent' } });
// The report ends with its totals ("ℹ pass N", "ℹ fail N" …): remember the last of each.
const totals = {};
let partial = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (partial + chunk.toString('utf8')).split('\n');
  partial = lines.pop();
  for (const line of lines) {
    const m = /^ℹ (\w+) (\d+)$/.exec(line.replace(/\x1b\[[0-9;]*m/g, '').trim());
    if (m) totals[m[1]] = Number(m[2]);
  }
});
child.on('close', (code, signal) => {
  const count = (name) => totals[name] ?? 0;
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  const skipped = count('skipped') + count('todo');
  console.log(`\n${files.length} test files`);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(signal ? 1 : code ?? 1);
});
