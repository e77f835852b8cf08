// Runs real jq (jq-web: jq compiled to WebAssembly) in a worker thread, so a runaway program
// (`repeat(1)`) can be stopped by terminating the thread without blocking the server.
// Plain JavaScript on purpose: a worker must load without the TypeScript loader.
import { parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const jq = await require('jq-web');

/** Strips jq-web's "Non-zero exit code" preamble, keeping jq's own message. */
function jqMessage(err) {
  const text = String(err?.message ?? err);
  return text.replace(/^Non-zero exit code: \d+\n?/, '').trim();
}

parentPort.on('message', (msg) => {
  const { id, op } = msg;
  try {
    if (op === 'check') {
      // A compile error is exit code 3; runtime errors on a null input don't count.
      try {
        jq.raw('null', msg.program, ['-c']);
        parentPort.postMessage({ id, ok: true, result: null });
      } catch (err) {
        const text = String(err?.message ?? err);
        parentPort.postMessage({ id, ok: true, result: /Non-zero exit code: 3/.test(text) ? jqMessage(err) : null });
      }
      return;
    }
    if (op === 'evalAll') {
      // Several programs over the same inputs in ONE jq run: each input is parsed once and
      // yields one line, an array with one {"v"|"e"} per program. This is how triggers scale.
      const parts = msg.programs.map((p) => `(try {v: [${p}]} catch {e: (. | tostring)})`);
      const out = msg.input ? jq.raw(msg.input, `[${parts.join(', ')}]`, ['-c']) : '';
      const lines = out.split('\n').filter((l) => l.length > 0);
      parentPort.postMessage({ id, ok: true, result: lines.map((l) => JSON.parse(l)) });
      return;
    }
    // op === 'eval': one program over many inputs in a single jq run; each input yields exactly
    // one line: {"v": [outputs…]} or {"e": "message"}.
    const wrapped = `try {v: [${msg.program}]} catch {e: (. | tostring)}`;
    const input = msg.inputs.map((x) => JSON.stringify(x)).join('\n');
    const out = msg.inputs.length ? jq.raw(input, wrapped, ['-c']) : '';
    const lines = out.split('\n').filter((l) => l.length > 0);
    parentPort.postMessage({ id, ok: true, result: lines.map((l) => JSON.parse(l)) });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: jqMessage(err) });
  }
});
parentPort.postMessage({ ready: true });
