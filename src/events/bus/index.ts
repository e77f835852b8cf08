// The events bus of one process (XDRHUB_EVENTS_BUS): the publisher that replaces the QueueRunner's
// processor in listening processes, and the consumer and correlator candidate that worker processes
// run. Workers get their own Processor and rule engines because they see rule and collector changes
// only through the database.
import type client from 'prom-client';
import type { AlertsService } from '../../alerts/alerts.ts';
import type { Logger } from '../../platform/log/index.ts';
import type { PipelineMetrics } from '../pipeline/metrics.ts';
import { Processor, type CorrelationFeed } from '../pipeline/processor.ts';
import { EngineCache } from '../rules/engines.ts';
import type { RuleStore } from '../rules/store.ts';
import type { Collector } from '../store/collectors.ts';
import type { EventStore } from '../store/events.ts';
import { CollectorDefinitions } from './collectors.ts';
import type { BusConfig } from './config.ts';
import { BusConsumer } from './consumer.ts';
import { Correlator } from './correlator.ts';
import { publishMatches } from './matches.ts';
import { BusMetrics } from './metrics.ts';
import { NatsBus } from './nats.ts';
import { BusPublisher } from './publisher.ts';

export { busEnv, type BusConfig } from './config.ts';

/** How often a worker checks whether a tenant's rules changed elsewhere (then rebuilds its engine). */
const RULES_REVALIDATE_MS = 5000;

export interface EventsBusDeps {
  config: BusConfig;
  logger: Logger;
  registry: client.Registry;
  events: EventStore;
  rules: RuleStore;
  alerts: AlertsService;
  metrics: PipelineMetrics;
  findCollector(id: string): Promise<Collector | undefined>;
  tenantDeleted(tenantId: string): boolean;
}

export class EventsBus {
  readonly publisher: BusPublisher;
  private readonly nats: NatsBus;
  private readonly consumer: BusConsumer;
  private readonly engines: EngineCache;
  private readonly correlator: Correlator;
  private consuming = false;

  constructor(d: EventsBusDeps) {
    this.nats = new NatsBus(d.config, d.logger);
    const metrics = new BusMetrics(d.registry);
    this.publisher = new BusPublisher(this.nats, metrics);
    this.engines = new EngineCache(d.rules, RULES_REVALIDATE_MS);
    const definitions = new CollectorDefinitions(d.findCollector, d.tenantDeleted);
    // Workers evaluate base rules in parallel; matches that feed a correlation go to the one correlator.
    const worker = new Processor({ store: d.events, engines: this.engines, alerts: d.alerts, metrics: d.metrics, logger: d.logger, collector: (id) => definitions.get(id), forwardCorrelation: (feeds) => publishMatches(this.nats, feeds) });
    this.correlator = new Correlator({ bus: this.nats, engines: this.engines, alerts: d.alerts, metrics, logger: d.logger });
    this.consumer = new BusConsumer({
      bus: this.nats,
      metrics,
      logger: d.logger,
      store: async (batch) => {
        const refused = await definitions.refresh(batch);
        await worker.process(refused.size ? batch.filter((e) => !refused.has(e)) : batch);
        return refused;
      },
    });
  }

  /** Worker processes: store events from the stream until close. Connects in the background (NATS may start later). */
  startConsumer(): void {
    this.consuming = true;
    this.consumer.start();
    // Every worker campaigns for the correlator lease; one wins, the others stand by.
    this.correlator.start();
  }

  /** Hands base-rule matches that feed correlations to the correlator (resolves once JetStream holds them). */
  forwardMatches(feeds: CorrelationFeed[]): Promise<void> {
    return publishMatches(this.nats, feeds);
  }

  /** Whether this process is the correlator now. */
  get correlatorLeader(): boolean {
    return this.correlator.leader;
  }

  /** Rules changed in this process: no need to wait for the revalidation. */
  invalidate(tenantId: string): void {
    this.engines.invalidate(tenantId);
  }

  /** Call after the QueueRunner stopped (its last batches are published first). */
  async close(): Promise<void> {
    await this.consumer.stop();
    // After the consumer: matches of its last batch are published; a final snapshot, then the lease goes.
    if (this.consuming) await this.correlator.stop();
    await this.nats.close();
  }
}
