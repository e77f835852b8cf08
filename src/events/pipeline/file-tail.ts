// The "file" collector: follows a file on the server like `tail -F` and hands each appended line
// to the intake as one raw event.
//
// - Framing: LF ends a line (a trailing CR is stripped, empty lines are skipped). A partial last
//   line waits for its newline. A line longer than `maxLineBytes` is truncated to its first
//   `maxLineBytes` bytes, still forwarded (its head usually carries the header the normalizer
//   needs) and counted as one parse error, so nothing disappears silently.
// - Rotation: checked on every poll by comparing the path's dev:inode with the open file's. When
//   the path names another file (rename + create) or none, the old file is read to its end, given
//   one more poll for the writer's last lines, its unterminated last line is forwarded, and only
//   then the new file is opened and read from its beginning.
// - Truncation (copytruncate): the open file got shorter than what was read → read from 0.
// - Wake-ups: fs.watch on the directory when the platform supports it, plus a poll interval as the
//   reliable fallback (watchers miss events on network filesystems and some containers).
// - Backpressure: reads one chunk at a time; when the intake is full, stops until it drains.
// - Durability: the consumed offset (end of the last complete line handed to the intake) and the
//   file's inode are saved (TailOffsets) shortly after each read, at rotation and at close, so a
//   restart resumes there: lines after it are read again, none before it is skipped.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../platform/log/index.ts';
import type { Collector } from '../store/collectors.ts';
import { checkFilePath } from './file-path.ts';
import type { Intake } from './intake.ts';
import type { Listener } from './listeners.ts';
import type { PipelineMetrics } from './metrics.ts';
import type { TailOffset, TailOffsets } from './tail-offsets.ts';

export type FileTailState = 'waiting' | 'reading' | 'paused' | 'refused' | 'error' | 'stopped';

export interface FileTailStatus {
  state: FileTailState;
  /** Why the file is not read (refused, error), or what is awaited (waiting). */
  detail: string | null;
  /** Bytes of the current file consumed so far. */
  offset: number;
  /** Size of the current file at the last look. */
  size: number | null;
}

export interface FileTailDeps {
  queue: Intake;
  metrics: PipelineMetrics;
  wake(): void;
  offsets: TailOffsets;
  allowedDirs: readonly string[];
  logger?: Logger;
  pollMs?: number;
  maxLineBytes?: number;
  chunkBytes?: number;
  /** How often the offset is saved while reading (it is always saved at rotation and close). */
  saveEveryMs?: number;
}

const fileId = (st: fs.Stats) => `${st.dev}:${st.ino}`;
const isMissing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

export class FileTailer implements Listener {
  /** File collectors listen on no port. */
  readonly port = 0;
  private readonly pollMs: number;
  private readonly maxLine: number;
  private readonly buf: Buffer;
  private readonly saveEveryMs: number;
  private readonly file: string;

  private fh: fs.promises.FileHandle | null = null;
  private inode: string | null = null;
  /** Bytes consumed (up to the end of the last complete line). */
  private offset = 0;
  /** Where the next read starts (offset + the partial line held). */
  private readPos = 0;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** The partial line passed maxLineBytes: the rest up to its newline is skipped. */
  private overflow = false;
  /** The path names another file (or none): the open one is being finished. */
  private rotating = false;
  /** Where to start in the next file opened: saved state, else the start position setting. */
  private next: TailOffset | undefined;

  private state: FileTailState = 'waiting';
  private detail: string | null = 'opening the file';
  private size: number | null = null;
  private stopped = false;
  private paused = false;
  private ticking: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private watcher: fs.FSWatcher | null = null;
  private savedAt = 0;
  private saveTimer: NodeJS.Timeout | null = null;
  private dirty = false;
  private readonly resume = () => {
    this.paused = false;
    this.kick();
  };

  constructor(
    private readonly c: Pick<Collector, 'id' | 'tenantId' | 'file'>,
    private readonly deps: FileTailDeps,
  ) {
    if (!c.file) throw new Error(`collector ${c.id} has no file settings`);
    this.file = c.file.path;
    this.pollMs = deps.pollMs ?? 500;
    this.maxLine = deps.maxLineBytes ?? 1024 * 1024;
    this.buf = Buffer.allocUnsafe(deps.chunkBytes ?? 64 * 1024);
    this.saveEveryMs = deps.saveEveryMs ?? 200;
    this.next = deps.offsets.load(c.id);
  }

  start(): this {
    try {
      // Watching the directory sees the file appear and be renamed, not only be written.
      this.watcher = fs.watch(path.dirname(this.file), { persistent: false }, () => this.kick());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      // No such directory yet, or no watcher support here: the poll does the work.
    }
    this.kick();
    return this;
  }

  status(): FileTailStatus {
    return { state: this.stopped ? 'stopped' : this.state, detail: this.detail, offset: this.offset, size: this.size };
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.watcher?.close();
    this.deps.queue.offDrain(this.resume);
    while (this.ticking) await this.ticking;
    this.save();
    await this.fh?.close().catch(() => {});
    this.fh = null;
  }

  /** Runs a tick now (coalesced: one at a time, one more queued if asked meanwhile). */
  private kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ticking = this.tick()
      .catch((err) => {
        const detail = (err as Error).message;
        // Retried every poll: logged when the reason changes, not each time.
        if (this.state !== 'error' || this.detail !== detail) this.deps.logger?.warn({ err, collectorId: this.c.id }, 'file collector read failed');
        this.state = 'error';
        this.detail = detail;
      })
      .finally(() => {
        this.ticking = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.kick();
        } else if (!this.paused) {
          this.timer = setTimeout(() => this.kick(), this.pollMs);
          this.timer.unref();
        }
      });
  }

  private async tick(): Promise<void> {
    if (this.paused) return;
    if (!this.fh && !(await this.open())) return;
    const read = await this.drain();
    if (this.paused || this.stopped) return;
    await this.checkPath(read);
  }

  /** Opens the file at the path; false when there is none (yet) or it may not be read. */
  private async open(): Promise<boolean> {
    const check = await checkFilePath(this.file, this.deps.allowedDirs);
    if (!check.ok) {
      this.state = 'refused';
      this.detail = `file.path ${check.reason}`;
      return false;
    }
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(this.file, 'r');
    } catch (err) {
      if (!isMissing(err)) throw err;
      this.state = 'waiting';
      this.detail = 'the file does not exist yet';
      this.size = null;
      // A file that appears later is new content from its first byte, whatever the start position.
      if (!this.next) this.persist({ inode: null, offset: 0 });
      return false;
    }
    const st = await fh.stat();
    // The checked real path must be the file opened (no symlink swapped in between).
    const real = await fs.promises.stat(check.real).catch(() => null);
    if (!real || fileId(real) !== fileId(st) || !st.isFile()) {
      await fh.close();
      this.state = 'refused';
      this.detail = st.isFile() ? 'file.path changed while it was being opened' : 'file.path is not a regular file';
      return false;
    }
    let id = fileId(st);
    let start = 0;
    const saved = this.next;
    if (saved?.inode === id) {
      start = saved.offset <= st.size ? saved.offset : 0; // shorter than the saved offset: truncated while stopped
    } else if (saved?.inode) {
      // Rotated while stopped: finish the old file if it is still beside the path (app.log.1 …).
      const old = await this.findRotated(saved.inode);
      if (old) {
        await fh.close();
        fh = old.fh;
        id = saved.inode;
        start = Math.min(saved.offset, old.size);
      } else if (saved.offset > 0) {
        // Renamed away beyond our reach (another directory, compressed, deleted): its unread tail is lost.
        this.deps.logger?.warn({ collectorId: this.c.id, path: this.file }, 'file collector: the file was rotated while stopped and the old one is gone; reading the new one from its start');
      }
    } else if (!saved) {
      start = this.c.file!.startAt === 'beginning' ? 0 : st.size;
    }
    this.fh = fh;
    this.inode = id;
    this.offset = this.readPos = start;
    this.partial = [];
    this.partialBytes = 0;
    this.overflow = false;
    this.rotating = false;
    this.next = undefined;
    this.state = 'reading';
    this.detail = null;
    this.persist({ inode: id, offset: start });
    return true;
  }

  private async findRotated(inode: string): Promise<{ fh: fs.promises.FileHandle; size: number } | null> {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name === base || !name.startsWith(base)) continue;
      const st = await fs.promises.stat(path.join(dir, name)).catch(() => null);
      if (!st || fileId(st) !== inode) continue;
      const fh = await fs.promises.open(path.join(dir, name), 'r').catch(() => null);
      return fh ? { fh, size: st.size } : null;
    }
    return null;
  }

  /** Reads to the end of the open file (or until the intake is full); returns the bytes read. */
  private async drain(): Promise<number> {
    let total = 0;
    while (!this.stopped && !this.paused && this.fh) {
      const { bytesRead } = await this.fh.read(this.buf, 0, this.buf.length, this.readPos);
      if (bytesRead === 0) break;
      total += bytesRead;
      this.consume(this.buf.subarray(0, bytesRead));
      if (this.deps.queue.full) {
        // Stop reading until the queue drains; the file keeps the rest meanwhile.
        this.paused = true;
        this.state = 'paused';
        this.deps.queue.onDrain(this.resume);
      }
    }
    if (this.fh) this.size = (await this.fh.stat()).size;
    if (!this.paused && this.state === 'paused') this.state = 'reading';
    return total;
  }

  /** Splits a chunk into lines and hands the complete ones to the intake. */
  private consume(chunk: Buffer): void {
    const chunkStart = this.readPos;
    this.readPos += chunk.length;
    const lines: string[] = [];
    let truncated = 0;
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      this.hold(chunk.subarray(from, nl));
      if (this.overflow) truncated++;
      const line = this.takeLine();
      if (line) lines.push(line);
      from = nl + 1;
      this.offset = chunkStart + from;
    }
    if (from < chunk.length) this.hold(chunk.subarray(from));
    this.emit(lines, truncated);
    this.markDirty();
  }

  /** Adds bytes to the partial line, keeping at most maxLineBytes of it. */
  private hold(bytes: Buffer): void {
    const room = this.maxLine - this.partialBytes;
    if (bytes.length > room) this.overflow = true;
    const kept = bytes.length > room ? bytes.subarray(0, Math.max(0, room)) : bytes;
    if (kept.length === 0) return;
    // The read buffer is reused: keep a copy.
    this.partial.push(Buffer.from(kept));
    this.partialBytes += kept.length;
  }

  private takeLine(): string {
    let line = Buffer.concat(this.partial, this.partialBytes).toString('utf8');
    this.partial = [];
    this.partialBytes = 0;
    this.overflow = false;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    return line;
  }

  private emit(lines: string[], truncated: number): void {
    const { queue, metrics, wake } = this.deps;
    const at = Date.now();
    // force, not offer: these bytes are read; the tailer pauses instead when the intake is full.
    for (const raw of lines) queue.force({ collectorId: this.c.id, tenantId: this.c.tenantId, sourceIp: '', raw, receivedAt: at });
    if (lines.length) {
      metrics.countReceived(this.c.id, lines.length);
      wake();
    }
    if (truncated) metrics.countParseError(this.c.id, truncated);
  }

  /** The unterminated last line of a file that is finished (rotated away or truncated). */
  private flushPartial(): void {
    if (this.partialBytes === 0 && !this.overflow) return;
    const truncated = this.overflow ? 1 : 0;
    const line = this.takeLine();
    this.emit(line ? [line] : [], truncated);
    this.offset = this.readPos;
  }

  /** Rotation and truncation, seen from the path after the open file was read to its end. */
  private async checkPath(readNow: number): Promise<void> {
    const st = await fs.promises.stat(this.file).catch((err) => {
      if (isMissing(err)) return null;
      throw err;
    });
    if (st && fileId(st) === this.inode) {
      this.rotating = false;
      if (st.size < this.readPos) {
        // Truncated in place (copytruncate): what is there now was written after the truncation.
        this.flushPartial();
        this.offset = this.readPos = 0;
        this.save();
        this.again = true;
      }
      return;
    }
    // The path names another file, or none. Give the writer one more poll to finish the old one.
    if (!this.rotating || readNow > 0) {
      this.rotating = true;
      return;
    }
    this.flushPartial();
    await this.fh?.close().catch(() => {});
    this.fh = null;
    this.inode = null;
    this.size = null;
    this.offset = this.readPos = 0;
    this.rotating = false;
    // Saved before the new file is opened: a restart now reads the new file from its start.
    this.persist({ inode: null, offset: 0 });
    this.state = 'waiting';
    this.detail = 'the file was rotated; waiting for the new one';
    if (st) this.again = true;
  }

  private persist(v: TailOffset): void {
    this.next = v.inode === null ? v : this.next;
    this.deps.offsets.save(this.c.id, v);
    this.savedAt = Date.now();
    this.dirty = false;
  }

  private save(): void {
    if (this.inode) this.persist({ inode: this.inode, offset: this.offset });
  }

  /** Saves the offset at most every saveEveryMs while lines flow. */
  private markDirty(): void {
    this.dirty = true;
    if (this.saveTimer) return;
    const wait = Math.max(0, this.savedAt + this.saveEveryMs - Date.now());
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      if (this.dirty && !this.stopped) this.save();
    }, wait);
    this.saveTimer.unref();
  }
}
