// `npm run bench [-- name…]`: runs every bench/*.bench.ts (or those whose name contains an
// argument) in turn and prints one table of figures.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRow } from './lib.ts';

const dir = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const rows: BenchRow[] = [];
for (const file of files) {
  const started = performance.now();
  process.stderr.write(`running ${file} …\n`);
  try {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default: () => Promise<BenchRow[]> };
    rows.push(...(await mod.default()));
  } catch (err) {
    rows.push({ suite: file.replace('.bench.ts', ''), name: 'FAILED', value: NaN, unit: '', note: (err as Error).message.slice(0, 120) });
  }
  process.stderr.write(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

const fmt = (v: number) => (Number.isNaN(v) ? '—' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
const table = rows.map((r) => [r.suite, r.name, fmt(r.value), r.unit, r.note ?? '']);
const header = ['suite', 'figure', 'value', 'unit', 'note'];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table) console.log(line(r));
process.exit(0);
