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
  /** 1 while this process holds the correlator lease. */
  readonly correlatorLeader: client.Gauge;
  readonly correlatorMatches: client.Counter;
  readonly correlationAlerts: client.Counter;
  readonly snapshots: client.Counter;
  readonly snapshotBytes: client.Gauge;
  readonly snapshotTrimmed: client.Counter;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.published = new client.Counter({ name: 'xdrhub_events_bus_published_total', help: 'Raw events this process published to the JetStream stream (acknowledged by NATS)', registers });
    this.consumed = new client.Counter({ name: 'xdrhub_events_bus_consumed_total', help: 'Raw events this worker stored and acknowledged', registers });
    this.redelivered = new client.Counter({ name: 'xdrhub_events_bus_redelivered_total', help: 'Raw events this worker received again (a worker crashed or a batch failed before the acknowledgement)', registers });
    this.givenUp = new client.Counter({ name: 'xdrhub_events_bus_given_up_total', help: 'Raw events terminated without storage: not a valid event, or still failing at the last allowed delivery', registers });
    this.pending = new client.Gauge({ name: 'xdrhub_events_bus_pending', help: 'Consumer lag: events in the stream not yet delivered to a worker, as of the last delivery to this worker', registers });
    this.correlatorLeader = new client.Gauge({ name: 'xdrhub_events_correlator_leader', help: '1 while this process holds the correlator lease (exactly one process should)', registers });
    this.correlatorMatches = new client.Counter({ name: 'xdrhub_events_correlator_matches_total', help: 'Base-rule matches this process fed into correlation windows as the correlator (redeliveries included)', registers });
    this.correlationAlerts = new client.Counter({ name: 'xdrhub_events_correlator_alerts_total', help: 'Correlation alerts this process created as the correlator', registers });
    this.snapshots = new client.Counter({ name: 'xdrhub_events_correlator_snapshots_total', help: 'Correlation window snapshots written to the KV bucket', registers });
    this.snapshotBytes = new client.Gauge({ name: 'xdrhub_events_correlator_snapshot_bytes', help: 'Size of the last tenant snapshot written', registers });
    this.snapshotTrimmed = new client.Counter({ name: 'xdrhub_events_correlator_snapshot_trimmed_total', help: 'Snapshots that had to drop their least recently updated groups to fit one KV value', registers });
  }
}
