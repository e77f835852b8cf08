// RFC 6587 framing for syslog over TCP: octet counting (`LEN SP MSG`) and non-transparent
// framing (a delimiter byte, LF by default). A small stateful splitter fed with Buffers.

export interface FramingOptions {
  /** 'auto' decides per frame: a leading digit means octet counting (RFC 6587 §3.4.1). */
  mode?: 'auto' | 'octet-counting' | 'newline';
  /** Non-transparent delimiter byte (default LF; KUMA also offers TAB and NUL). */
  delimiter?: number;
  /** Frames longer than this are dropped and counted (default 4 MiB). */
  maxFrameBytes?: number;
}

export class SyslogFrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly mode: 'auto' | 'octet-counting' | 'newline';
  private readonly delimiter: number;
  private readonly max: number;
  /** Frames dropped because they were malformed or too large. */
  errors = 0;
  private skipping = false;

  constructor(opts: FramingOptions = {}) {
    this.mode = opts.mode ?? 'auto';
    this.delimiter = opts.delimiter ?? 0x0a;
    this.max = opts.maxFrameBytes ?? 4 * 1024 * 1024;
  }

  /** Feeds bytes; returns every complete frame (without delimiter, trailing CR removed). */
  push(chunk: Uint8Array): Buffer[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === null) break;
      if (frame.length > 0) out.push(frame);
    }
    return out;
  }

  /** Whatever is left at end of stream (a final frame without delimiter). */
  flush(): Buffer[] {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    if (rest.length === 0 || this.skipping) {
      this.skipping = false;
      return [];
    }
    if (this.isOctetCounted(rest)) {
      this.errors++; // truncated octet-counted frame
      return [];
    }
    return [stripCr(rest)];
  }

  private isOctetCounted(b: Buffer): boolean {
    if (this.mode === 'octet-counting') return true;
    if (this.mode === 'newline') return false;
    return b.length > 0 && b[0] >= 0x31 && b[0] <= 0x39;
  }

  private next(): Buffer | null {
    const b = this.buf;
    if (b.length === 0) return null;
    if (this.skipping) {
      const d = b.indexOf(this.delimiter);
      if (d === -1) {
        this.buf = Buffer.alloc(0);
        return null;
      }
      this.skipping = false;
      this.buf = b.subarray(d + 1);
      return Buffer.alloc(0);
    }
    if (this.isOctetCounted(b)) {
      let i = 0;
      let len = 0;
      while (i < b.length && i < 10 && b[i] >= 0x30 && b[i] <= 0x39) len = len * 10 + (b[i++] - 0x30);
      if (i === b.length) return null; // need more bytes for the length
      if (b[i] !== 0x20 || i === 10 || len > this.max) {
        // Not a valid length prefix: resynchronise on the next delimiter.
        this.errors++;
        this.skipping = true;
        return Buffer.alloc(0);
      }
      if (b.length < i + 1 + len) return null;
      const frame = b.subarray(i + 1, i + 1 + len);
      this.buf = b.subarray(i + 1 + len);
      return Buffer.from(frame);
    }
    const d = b.indexOf(this.delimiter);
    if (d === -1) {
      if (b.length > this.max) {
        this.errors++;
        this.skipping = true;
        this.buf = Buffer.alloc(0);
      }
      return null;
    }
    const frame = b.subarray(0, d);
    this.buf = b.subarray(d + 1);
    if (frame.length > this.max) {
      this.errors++;
      return Buffer.alloc(0);
    }
    return stripCr(Buffer.from(frame));
  }
}

function stripCr(b: Buffer): Buffer {
  return b.length > 0 && b[b.length - 1] === 0x0d ? b.subarray(0, b.length - 1) : b;
}
