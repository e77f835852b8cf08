import 'reflect-metadata';
import fs from 'node:fs';
import { sql } from 'kysely';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './platform/db/index.ts';
import { migrate, type ModuleMigration } from './platform/db/migrations.ts';
import { createLogger, type Logger } from './platform/log/index.ts';
import { createHttpServer, type HttpServer, type RouteListener } from './platform/http/server.ts';
import { createVault, loadKeyring, vaultMigrations, type Vault } from './platform/secrets/index.ts';
import { auditMigrations, createAuditLog, type AuditLog } from './platform/audit/index.ts';
import { createJobQueue, jobsMigrations, type JobQueue } from './platform/jobs/index.ts';
import { createOutboundClient, type OutboundClient } from './platform/outbound/index.ts';
import { SYSTEM_ACTOR } from './platform/actor.ts';
import { tenantsMigrations } from './tenants/migrations.ts';
import { TENANT_PURGE_JOB, TenantsService } from './tenants/tenants.ts';
import { registerTenantRoutes } from './tenants/routes.ts';
import { accessMigrations } from './access/migrations.ts';
import { AccessService } from './access/access.ts';
import { registerAuthHook } from './access/auth-hook.ts';
import { registerAccessRoutes } from './access/routes.ts';
import { integrationsMigrations } from './integrations/framework/migrations.ts';
import { IntegrationsService } from './integrations/framework/instances.ts';
import { registerIntegrationRoutes } from './integrations/framework/routes.ts';
import type { ConnectorRegistry } from './integrations/framework/registry.ts';
import { createConnectorRegistry } from './integrations/registry-list.ts';
import { registerAuditRoutes } from './access/audit-routes.ts';
import { alertsMigrations } from './alerts/migrations.ts';
import { AlertsService } from './alerts/alerts.ts';
import { registerAlertRoutes } from './alerts/routes.ts';
import { registerEnrichmentRoutes } from './alerts/enrich-routes.ts';
import { playbooksMigrations } from './playbooks/migrations.ts';
import { Jq } from './playbooks/jq.ts';
import { PlaybooksService } from './playbooks/playbooks.ts';
import { RunsService } from './playbooks/runs.ts';
import { TriggerEvaluator } from './playbooks/triggers.ts';
import { registerPlaybookRoutes } from './playbooks/routes.ts';
import { ticketingMigrations } from './ticketing/migrations.ts';
import { RedmineSync } from './ticketing/redmine-sync.ts';
import { responseMigrations } from './response/migrations.ts';
import { EnrichmentService, enrichmentMigrations } from './enrichment/index.ts';
import { AutoEnrichment } from './enrichment/auto.ts';
import { ResponseService } from './response/response.ts';
import { registerResponseRoutes } from './response/routes.ts';
import { registerConsole } from './console/index.ts';
import { KataImport, kataMigrations } from './integrations/kata/import-job.ts';
import { eventsMigrations } from './events/migrations.ts';
import { EventsService, eventsEnv } from './events/service.ts';
import { registerEventRoutes } from './events/routes.ts';

export const VERSION: string = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Every module's migrations; Kysely runs them in name order. */
export const ALL_MIGRATIONS: ModuleMigration[] = [...tenantsMigrations, ...vaultMigrations, ...auditMigrations, ...jobsMigrations, ...accessMigrations, ...integrationsMigrations, ...alertsMigrations, ...responseMigrations, ...enrichmentMigrations, ...playbooksMigrations, ...kataMigrations, ...ticketingMigrations, ...eventsMigrations];

export interface Services {
  database: Database;
  vault: Vault;
  audit: AuditLog;
  jobs: JobQueue;
  outbound: OutboundClient;
  tenants: TenantsService;
  access: AccessService;
  registry: ConnectorRegistry;
  integrations: IntegrationsService;
  alerts: AlertsService;
  response: ResponseService;
  enrichment: EnrichmentService;
  autoEnrichment: AutoEnrichment;
  jq: Jq;
  playbooks: PlaybooksService;
  runs: RunsService;
  triggers: TriggerEvaluator;
  redmineSync: RedmineSync;
  events: EventsService;
}

export interface App {
  config: Config;
  logger: Logger;
  http: HttpServer;
  services: Services;
  /** Creates Root, Shared and the first Main administrator when missing. */
  bootstrap(): Promise<{ adminCreated: boolean; adminPassword?: string; rootId: string; sharedId: string }>;
  /** Starts the job worker (role all or worker). */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface BuildOptions {
  logger?: Logger;
  database?: Database;
  registry?: ConnectorRegistry;
  env?: NodeJS.ProcessEnv;
  /** Sees every route as it is registered (the access-matrix test enumerates routes with it). */
  onRoute?: RouteListener;
}

/** Composes the modules. Tests build the app exactly this way. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const database = options.database ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir }));
  await migrate(database, ALL_MIGRATIONS);

  const keyring = loadKeyring({ env: options.env ?? process.env, dataDir: config.dataDir });
  const vault = createVault({ database, keyring, logger });
  const audit = createAuditLog({ database });
  // On PostgreSQL, LISTEN/NOTIFY wakes every worker process as soon as a job is queued.
  const jobs = createJobQueue({ database, logger, pollMs: config.jobPollMs, listenUrl: config.databaseUrl });
  const outbound = createOutboundClient({ logger, proxyUrl: config.proxyUrl });
  const tenants = new TenantsService({ database, audit, jobs, purgeDelayMs: config.purgeDelayMs });
  const access = new AccessService({ database, tenants, audit, sessionTtlMs: config.sessionTtlMs });
  const registry = options.registry ?? createConnectorRegistry();
  const integrations = new IntegrationsService({ database, registry, tenants, vault, audit, outbound, logger });
  const alerts = new AlertsService({ database, audit });
  const response = new ResponseService({ database, audit, jobs, integrations, alerts, vault, leaseMs: config.jobLeaseMs, publicUrl: config.publicUrl });
  const enrichment = new EnrichmentService({ database, integrations, logger });
  const autoEnrichment = new AutoEnrichment({ alerts, enrichment, jobs, logger });
  autoEnrichment.attach();
  const jq = new Jq();
  const playbooks = new PlaybooksService({ database, audit, tenants, jq });
  const canBeAssigned = async (userId: string, tenantId: string) => access.userCan(userId, 'alerts.read', await tenants.get(tenantId));
  const runs = new RunsService({ database, audit, jobs, jq, alerts, response, integrations, enrichment, logger, canBeAssigned, leaseMs: config.jobLeaseMs });
  const triggers = new TriggerEvaluator({ alerts, playbooks, runs, jq, logger });
  triggers.attach();
  const redmineSync = new RedmineSync({ database, alerts, response, integrations, jobs, logger });
  const kataImport = new KataImport({ database, jobs, integrations, alerts, tenants, logger });

  tenants.addLifecycle({
    onCreated: (parent, child, trx) => integrations.copyToChild(parent, child, trx),
    onDeleted: async (ids) => integrations.stopTenants(ids),
    onPurge: async (ids, trx) => {
      await integrations.purgeTenants(ids, trx);
      await alerts.purgeTenants(ids, trx);
      await response.purgeTenants(ids, trx);
      await enrichment.purgeTenants(ids, trx);
      await playbooks.purgeTenants(ids, trx);
      await runs.purgeTenants(ids, trx);
      await redmineSync.purgeTenants(ids, trx);
      await events.purgeTenants(ids, trx);
      await access.purgeTenants(ids, trx);
    },
  });
  jobs.register(TENANT_PURGE_JOB, async (ctx) => {
    const { tenantIds } = ctx.payload as { tenantIds: string[] };
    await tenants.purge(tenantIds, SYSTEM_ACTOR);
    await jobs.deleteForTenants(tenantIds);
    return { purged: tenantIds.length };
  });

  const http = await createHttpServer({
    logger,
    version: VERSION,
    onRoute: options.onRoute,
    ready: async () => {
      await sql`select 1`.execute(database.db);
    },
  });
  registerAuthHook(http, access);
  registerAccessRoutes(http, access, { secureCookies: config.secureCookies });
  registerTenantRoutes(http, tenants, access);
  registerIntegrationRoutes(http, registry, integrations);
  registerAuditRoutes(http, audit, tenants);
  registerAlertRoutes(http, alerts, tenants);
  registerEnrichmentRoutes(http, alerts, enrichment);
  registerPlaybookRoutes(http, playbooks, runs, alerts, tenants);
  registerResponseRoutes(http, response, tenants);
  const events = new EventsService({ database, vault, alerts, jobs, logger, metricsRegistry: http.metricsRegistry, spoolDir: `${config.dataDir}/event-spool`, ...eventsEnv(options.env ?? process.env) });
  registerEventRoutes(http, events);
  tenants.addLifecycle({ onDeleted: (ids) => events.stopTenants(ids) });
  // Syslog listeners run only where the API listens (never in worker-only processes or one-off commands).
  if (config.role !== 'worker') http.addHook('onListen', async () => events.startCollectors());
  await registerConsole(http);

  const services: Services = { database, vault, audit, jobs, outbound, tenants, access, registry, integrations, alerts, response, enrichment, autoEnrichment, jq, playbooks, runs, triggers, redmineSync, events };
  let workerStarted = false;
  let pruneTimer: NodeJS.Timeout | null = null;
  return {
    config,
    logger,
    http,
    services,
    async bootstrap() {
      const { root, shared } = await tenants.ensureBuiltins();
      const admin = await access.ensureFirstAdmin(root, config.adminUsername, config.adminPassword);
      return { adminCreated: admin.created, adminPassword: admin.password, rootId: root.id, sharedId: shared.id };
    },
    async startWorker() {
      workerStarted = true;
      await jobs.start();
      await redmineSync.schedule();
      await events.scheduleRetention();
      // With XDRHUB_EVENTS_BUS, the processes that run jobs are the ones that store events from the stream.
      events.startBusConsumer();
      await kataImport.start();
      // Finished jobs are kept a week for inspection, then pruned (hourly, by every worker: cheap and idempotent).
      pruneTimer = setInterval(() => void jobs.prune({ olderThanMs: 7 * 86_400_000 }).catch(() => {}), 3_600_000);
      pruneTimer.unref();
    },
    async close() {
      triggers.stop();
      autoEnrichment.stop();
      if (pruneTimer) clearInterval(pruneTimer);
      await http.close();
      await events.close();
      if (workerStarted) await jobs.stop({ drainMs: 5000 });
      await outbound.close?.();
      await jq.close();
      await database.close();
    },
  };
}
