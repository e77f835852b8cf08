// Per-collector counters for GET …/collectors/:id (EPS over the last 10 s, latency percentiles)
// and the same figures as Prometheus series labelled by collector id.
import client from 'prom-client';

const WINDOW_S = 10;
const LATENCY_SAMPLES = 1024;

class Rate {
  private readonly buckets = new Array<number>(WINDOW_S + 1).fill(0);
  private second = 0;
  add(n: number, at = Date.now()): void {
    this.roll(at);
    this.buckets[this.second % this.buckets.length] += n;
  }
  /** Events per second over the last full WINDOW_S seconds. */
  perSecond(at = Date.now()): number {
    this.roll(at);
    let sum = 0;
    for (let i = 1; i <= WINDOW_S; i++) sum += this.buckets[(this.second - i + this.buckets.length * 2) % this.buckets.length];
    return sum / WINDOW_S;
  }
  private roll(at: number): void {
    const s = Math.floor(at / 1000);
    if (this.second === 0) this.second = s;
    while (this.second < s) {
      this.second++;
      this.buckets[this.second % this.buckets.length] = 0;
      if (s - this.second > this.buckets.length) this.second = s - this.buckets.length;
    }
  }
}

export class CollectorMetrics {
  received = 0;
  stored = 0;
  parseErrors = 0;
  dropped = 0;
  matches = 0;
  alertsCreated = 0;
  alertsDeduped = 0;
  alertErrors = 0;
  readonly inRate = new Rate();
  readonly outRate = new Rate();
  private readonly latencies: number[] = [];
  private next = 0;

  addLatency(ms: number): void {
    if (this.latencies.length < LATENCY_SAMPLES) this.latencies.push(ms);
    else this.latencies[this.next++ % LATENCY_SAMPLES] = ms;
  }

  view(): Record<string, number | null> {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const p = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null);
    return {
      received: this.received,
      stored: this.stored,
      parseErrors: this.parseErrors,
      dropped: this.dropped,
      matches: this.matches,
      alertsCreated: this.alertsCreated,
      alertsDeduped: this.alertsDeduped,
      alertErrors: this.alertErrors,
      epsIn: this.inRate.perSecond(),
      epsOut: this.outRate.perSecond(),
      latencyP50Ms: p(0.5),
      latencyP99Ms: p(0.99),
    };
  }
}

/** Every collector's metrics, mirrored into the app's Prometheus registry. */
export class PipelineMetrics {
  private readonly byCollector = new Map<string, CollectorMetrics>();
  private readonly received: client.Counter<'collector'>;
  private readonly stored: client.Counter<'collector'>;
  private readonly parseErrors: client.Counter<'collector'>;
  private readonly dropped: client.Counter<'collector'>;
  private readonly latency: client.Histogram<'collector'>;
  readonly queueDepth: client.Gauge;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.received = new client.Counter({ name: 'xdrhub_events_received_total', help: 'Raw events received by collector', labelNames: ['collector'], registers });
    this.stored = new client.Counter({ name: 'xdrhub_events_stored_total', help: 'Normalized events stored by collector', labelNames: ['collector'], registers });
    this.parseErrors = new client.Counter({ name: 'xdrhub_events_parse_errors_total', help: 'Events the normalizer rejected, by collector', labelNames: ['collector'], registers });
    this.dropped = new client.Counter({ name: 'xdrhub_events_dropped_total', help: 'Events dropped because the queue was full (UDP) or a frame was malformed, by collector', labelNames: ['collector'], registers });
    this.latency = new client.Histogram({
      name: 'xdrhub_events_latency_seconds',
      help: 'Reception to stored-and-evaluated latency, by collector',
      labelNames: ['collector'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.queueDepth = new client.Gauge({ name: 'xdrhub_events_queue_depth', help: 'Raw events waiting for normalization', registers });
  }

  of(collectorId: string): CollectorMetrics {
    let m = this.byCollector.get(collectorId);
    if (!m) this.byCollector.set(collectorId, (m = new CollectorMetrics()));
    return m;
  }

  countReceived(id: string, n = 1): void {
    const m = this.of(id);
    m.received += n;
    m.inRate.add(n);
    this.received.inc({ collector: id }, n);
  }

  countStored(id: string, n: number): void {
    const m = this.of(id);
    m.stored += n;
    m.outRate.add(n);
    this.stored.inc({ collector: id }, n);
  }

  countParseError(id: string, n = 1): void {
    this.of(id).parseErrors += n;
    this.parseErrors.inc({ collector: id }, n);
  }

  countDropped(id: string, n = 1): void {
    this.of(id).dropped += n;
    this.dropped.inc({ collector: id }, n);
  }

  observeLatency(id: string, ms: number): void {
    this.of(id).addLatency(ms);
    this.latency.observe({ collector: id }, ms / 1000);
  }

  forget(id: string): void {
    this.byCollector.delete(id);
    for (const m of [this.received, this.stored, this.parseErrors, this.dropped]) m.remove({ collector: id });
    this.latency.remove({ collector: id });
  }
}
