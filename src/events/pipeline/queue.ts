// The bounded in-memory queue between listeners and the processor. Producers see whether it is
// full: UDP drops (and counts), TCP pauses its socket until `onDrain` fires.

export interface RawEvent {
  /**
   * Set when the event travels through the events bus: the stored event's id, so a redelivered or
   * re-published event is stored once (the embedded path leaves it unset and ids are drawn at storage).
   */
  id?: string;
  collectorId: string;
  tenantId: string;
  /** Sender address, for the per-source-IP normalizer selection. */
  sourceIp: string;
  raw: string;
  receivedAt: number;
}

export class BoundedQueue {
  private items: RawEvent[] = [];
  private head = 0;
  private readonly drainWaiters = new Set<() => void>();

  constructor(
    readonly capacity: number,
    /** Paused producers resume when the queue is at most this full. */
    private readonly lowWater = Math.floor(capacity / 2),
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /** false = full, the event was not taken. */
  offer(e: RawEvent): boolean {
    if (this.full) return false;
    this.items.push(e);
    return true;
  }

  /**
   * Takes the event even over capacity: a TCP chunk already read is split into frames that must
   * not be lost; the caller pauses its socket instead, so the overshoot is bounded by one chunk.
   */
  force(e: RawEvent): void {
    this.items.push(e);
  }

  take(max: number): RawEvent[] {
    const out = this.items.slice(this.head, this.head + max);
    this.head += out.length;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.size <= this.lowWater && this.drainWaiters.size) {
      const waiters = [...this.drainWaiters];
      this.drainWaiters.clear();
      for (const w of waiters) w();
    }
    return out;
  }

  /** Calls `fn` once, the next time the queue drains to its low-water mark. */
  onDrain(fn: () => void): void {
    this.drainWaiters.add(fn);
  }

  offDrain(fn: () => void): void {
    this.drainWaiters.delete(fn);
  }
}
