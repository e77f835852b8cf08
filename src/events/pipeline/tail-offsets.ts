// Where each file collector stopped reading: {inode, offset} per collector, one small JSON file
// each, written atomically (temporary file, fsync, rename).
//
// Why a file next to the spool and not a database table: the offset describes a file on *this*
// host's filesystem and only makes sense together with this process's disk spool (lines past the
// offset were handed to the intake, which may hold them in that spool). With PostgreSQL and API
// processes on several hosts, a shared row would let one host resume another host's file at a
// foreign offset; one listening process per data directory (the spool's rule) keeps offsets
// per host for free. Without a spool directory the offsets live in memory only.
import fs from 'node:fs';
import path from 'node:path';

export interface TailOffset {
  /** "dev:ino" of the file the offset belongs to; null = the next file at the path, from its start. */
  inode: string | null;
  /** Bytes consumed: every complete line before it was taken by the intake. */
  offset: number;
}

const NAME_RE = /^([0-9a-zA-Z-]{1,64})\.json$/;

export class TailOffsets {
  private readonly memory = new Map<string, TailOffset>();

  constructor(private readonly dir: string | null) {
    if (dir) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  load(collectorId: string): TailOffset | undefined {
    if (!this.dir) return this.memory.get(collectorId);
    try {
      const v = JSON.parse(fs.readFileSync(this.file(collectorId), 'utf8')) as TailOffset;
      if ((v.inode === null || typeof v.inode === 'string') && Number.isSafeInteger(v.offset) && v.offset >= 0) return v;
    } catch {
      // Missing (never started) or unreadable: the collector starts per its start position.
    }
    return undefined;
  }

  save(collectorId: string, v: TailOffset): void {
    if (!this.dir) {
      this.memory.set(collectorId, { ...v });
      return;
    }
    const file = this.file(collectorId);
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(v));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }

  remove(collectorId: string): void {
    this.memory.delete(collectorId);
    if (this.dir) fs.rmSync(this.file(collectorId), { force: true });
  }

  /** Deletes the offsets of collectors that no longer exist (deleted while another process listened). */
  prune(knownIds: ReadonlySet<string>): void {
    if (!this.dir) return;
    for (const name of fs.readdirSync(this.dir)) {
      const m = NAME_RE.exec(name);
      if (m && !knownIds.has(m[1])) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  private file(collectorId: string): string {
    // Collector ids are UUIDs; anything else must not become a path.
    if (!NAME_RE.test(`${collectorId}.json`)) throw new Error(`invalid collector id ${collectorId}`);
    return path.join(this.dir!, `${collectorId}.json`);
  }
}
