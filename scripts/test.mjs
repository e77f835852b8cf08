#!/usr/bin/env node
// Runs every *.test.ts under src/, test/ and simulators/ with node:test (tsx loader), printing the
// spec report and, at the end, one plain line "N passed, N failed, N skipped" that CI reads.
// Node 20 does not expand globs in `node --test`, so the file list is built here.
// Usage: npm test [-- <path filter substrings…>]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
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

const tap = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-tap-')), 'report.tap');
const args = [
  '--import', 'tsx',
  '--test',
  `--test-concurrency=${process.env.XDRHUB_TEST_CONCURRENCY || 2}`,
  // A hung test fails after 5 minutes (the slowest file takes about one).
  '--test-timeout=300000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`,
  ...files,
];
const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, XDRHUB_LOG_LEVEL: process.env.XDRHUB_LOG_LEVEL || 'silent' } });
child.on('exit', (code, signal) => {
  const report = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(report)?.[1] ?? 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  const skipped = count('skipped') + count('todo');
  console.log(`\n${files.length} test files`);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(signal ? 1 : code ?? 1);
});
