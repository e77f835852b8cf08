import { Worker } from 'node:worker_threads';

/**
 * Real jq for triggers and data mapping. Programs run in one worker thread; a call that takes
 * longer than its timeout terminates the worker (a fresh one starts for the next call), so a
 * runaway program cannot stall the server.
 */
export type JqResult = { ok: true; values: unknown[] } | { ok: false; error: string };

export class JqError extends Error {}

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  worker: Worker;
}

export class Jq {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  /** Serializes calls: the worker runs one program at a time anyway. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly timeoutMs = 2000) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = new Worker(new URL('./jq-worker.mjs', import.meta.url));
    worker.unref();
    this.worker = worker;
    this.ready = new Promise((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    worker.on('message', (msg: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new JqError(msg.error ?? 'jq failed'));
    });
    worker.on('exit', () => {
      if (this.worker === worker) {
        this.worker = null;
        this.ready = null;
      }
      for (const [id, p] of this.pending) {
        if (p.worker !== worker) continue;
        clearTimeout(p.timer);
        p.reject(new JqError('jq stopped'));
        this.pending.delete(id);
      }
    });
    return this.ready;
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    const run = async () => {
      await this.start();
      const id = ++this.seq;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new JqError(`the jq program ran longer than ${this.timeoutMs} ms and was stopped`));
          // Forget the stuck worker at once so the next call starts a fresh one.
          const stuck = this.worker;
          this.worker = null;
          this.ready = null;
          void stuck?.terminate();
        }, this.timeoutMs);
        this.pending.set(id, { resolve, reject, timer, worker: this.worker! });
        this.worker!.postMessage({ id, ...message });
      });
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => {});
    return next;
  }

  /** jq's own compile error for a program, or null when it compiles. */
  check(program: string): Promise<string | null> {
    return this.call<string | null>({ op: 'check', program });
  }

  /** Runs one program over many inputs in one jq run: one result per input. */
  async evalMany(program: string, inputs: unknown[]): Promise<JqResult[]> {
    const lines = await this.call<({ v: unknown[] } | { e: string })[]>({ op: 'eval', program, inputs });
    return lines.map((l) => ('v' in l ? { ok: true, values: l.v } : { ok: false, error: l.e }));
  }

  /**
   * Many programs over many inputs in one jq run (inputs parsed once): result[i][j] is program
   * j on input i. Inputs are passed as JSON text so the worker does not copy objects.
   */
  async evalAll(programs: string[], inputs: unknown[]): Promise<JqResult[][]> {
    if (inputs.length === 0 || programs.length === 0) return inputs.map(() => []);
    const input = inputs.map((x) => JSON.stringify(x)).join('\n');
    const lines = await this.call<({ v: unknown[] } | { e: string })[][]>({ op: 'evalAll', programs, input });
    return lines.map((row) => row.map((l) => ('v' in l ? { ok: true as const, values: l.v } : { ok: false as const, error: l.e })));
  }

  /** The first output of a program on one input; throws JqError with jq's message. */
  async first(program: string, input: unknown): Promise<unknown> {
    const [res] = await this.evalMany(program, [input]);
    if (!res) throw new JqError('jq produced no result');
    if (!res.ok) throw new JqError(res.error);
    return res.values[0] ?? null;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
    this.ready = null;
  }
}
