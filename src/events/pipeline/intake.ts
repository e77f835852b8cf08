// What listeners push into: the in-memory queue, spilling to the disk spool when it is full.
import type { DiskSpool } from './spool.ts';
import type { BoundedQueue, RawEvent } from './queue.ts';

export interface Intake {
  /** false = not taken (UDP drops and counts). */
  offer(e: RawEvent): boolean;
  /** Always taken (TCP frames already read); the caller pauses when `full`. */
  force(e: RawEvent): void;
  readonly full: boolean;
  onDrain(fn: () => void): void;
  offDrain(fn: () => void): void;
}

export class SpoolingIntake implements Intake {
  /** Set when listeners start (only listening processes own a spool). */
  spool: DiskSpool | null = null;
  constructor(private readonly queue: BoundedQueue) {}

  /** Spooled events are older than anything new: once the spool holds some, new ones follow. */
  private toSpool(): boolean {
    return !!this.spool && (!this.spool.empty || this.queue.full);
  }

  offer(e: RawEvent): boolean {
    if (this.toSpool() && this.spool!.append(e)) return true;
    return this.queue.offer(e);
  }

  force(e: RawEvent): void {
    if (this.toSpool() && this.spool!.append(e)) return;
    this.queue.force(e);
  }

  /** Full only when neither memory nor disk has room: only then does TCP stop reading. */
  get full(): boolean {
    return this.queue.full && (!this.spool || this.spool.bytes >= this.spool.maxBytes * 0.99);
  }

  onDrain(fn: () => void): void {
    this.queue.onDrain(fn);
  }

  offDrain(fn: () => void): void {
    this.queue.offDrain(fn);
  }
}
