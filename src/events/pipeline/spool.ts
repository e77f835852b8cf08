// A bounded disk buffer behind the in-memory queue. When the queue is full (a slow or absent
// database), syslog events spill here instead of being dropped (UDP) or slowing the sender (TCP);
// once anything is spooled, later events follow them to disk so order is kept. Segments survive
// a restart and are replayed; a segment is deleted only after all its events are stored, so a
// crash while replaying may store some events twice (at-least-once), never lose them.
import fs from 'node:fs';
import path from 'node:path';
import type { RawEvent } from './queue.ts';

const SEGMENT_RE = /^seg-(\d{12})\.jsonl$/;

export interface SpoolSegment {
  events: RawEvent[];
  /** Call once every event of the segment is stored: the file is deleted. */
  done(): void;
}

export class DiskSpool {
  private segments: Array<{ seq: number; bytes: number }> = [];
  private writing: { seq: number; bytes: number } | null = null;
  private pending: string[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private totalBytes = 0;
  private nextSeq = 1;

  constructor(
    private readonly dir: string,
    readonly maxBytes: number,
    private readonly segmentBytes = 4 * 1024 * 1024,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of fs.readdirSync(dir).sort()) {
      const m = SEGMENT_RE.exec(name);
      if (!m) continue;
      const bytes = fs.statSync(path.join(dir, name)).size;
      this.segments.push({ seq: Number(m[1]), bytes });
      this.totalBytes += bytes;
      this.nextSeq = Math.max(this.nextSeq, Number(m[1]) + 1);
    }
  }

  get empty(): boolean {
    return this.totalBytes + this.pendingBytes === 0;
  }

  get bytes(): number {
    return this.totalBytes + this.pendingBytes;
  }

  /** false = the spool is at its bound; the caller falls back to pausing or dropping. */
  append(e: RawEvent): boolean {
    const line = JSON.stringify(e) + '\n';
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.maxBytes) return false;
    this.pending.push(line);
    this.pendingBytes += size;
    // One write per tick, not per event.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    if (!this.writing || this.writing.bytes >= this.segmentBytes) {
      this.writing = { seq: this.nextSeq++, bytes: 0 };
      this.segments.push(this.writing);
    }
    const text = this.pending.join('');
    fs.appendFileSync(this.file(this.writing.seq), text, { mode: 0o600 });
    this.writing.bytes += this.pendingBytes;
    this.totalBytes += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** The oldest segment's events (the segment being written is closed first), or null. */
  readOldest(): SpoolSegment | null {
    this.flush();
    const seg = this.segments[0];
    if (!seg) return null;
    if (seg === this.writing) this.writing = null;
    const file = this.file(seg.seq);
    const events: RawEvent[] = [];
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as RawEvent);
      } catch {
        // A line torn by a crash mid-write: nothing to recover from it.
      }
    }
    return {
      events,
      done: () => {
        fs.rmSync(file, { force: true });
        this.segments = this.segments.filter((s) => s !== seg);
        this.totalBytes -= seg.bytes;
      },
    };
  }

  private file(seq: number): string {
    return path.join(this.dir, `seg-${String(seq).padStart(12, '0')}.jsonl`);
  }
}
