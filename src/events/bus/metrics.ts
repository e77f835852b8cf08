// Prometheus series of the events bus, in the app's registry next to the pipeline's own
// (xdrhub_events_*): what this process published, consumed and saw redelivered, and the lag.
import client from 'prom-client';

export class BusMetrics {
  readonly published: client.Counter;
  readonly consumed: client.Counter;
  readonly redelivered: client.Counter;
  readonly givenUp: client.Counter;
  /** Events in the stream not yet delivered to any worker (from the last delivered message's info). */
  readonly pending: client.Gauge;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.published = new client.Counter({ name: 'xdrhub_events_bus_published_total', help: 'Raw events this process published to the JetStream stream (acknowledged by NATS)', registers });
    this.consumed = new client.Counter({ name: 'xdrhub_events_bus_consumed_total', help: 'Raw events this worker stored and acknowledged', registers });
    this.redelivered = new client.Counter({ name: 'xdrhub_events_bus_redelivered_total', help: 'Raw events this worker received again (a worker crashed or a batch failed before the acknowledgement)', registers });
    this.givenUp = new client.Counter({ name: 'xdrhub_events_bus_given_up_total', help: 'Raw events terminated without storage: not a valid event, or still failing at the last allowed delivery', registers });
    this.pending = new client.Gauge({ name: 'xdrhub_events_bus_pending', help: 'Consumer lag: events in the stream not yet delivered to a worker, as of the last delivery to this worker', registers });
  }
}
