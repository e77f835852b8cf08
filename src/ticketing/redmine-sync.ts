import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../platform/db/index.ts';
import { newId, now } from '../platform/ids.ts';
import type { Actor } from '../platform/actor.ts';
import type { JobQueue } from '../platform/jobs/index.ts';
import type { Logger } from '../platform/log/index.ts';
import type { AlertsService } from '../alerts/alerts.ts';
import type { ResponseService } from '../response/response.ts';
import type { ResponseAction } from '../response/rows.ts';
import type { IntegrationsService } from '../integrations/framework/instances.ts';
import { pollStatuses } from '../integrations/redmine/index.ts';
import type { RedmineContext } from '../integrations/redmine/api.ts';

type LinkRow = {
  id: string;
  tenant_id: string;
  instance_id: string;
  issue_id: number;
  url: string;
  item_kind: string;
  item_id: string;
  last_item_status: string;
  last_ticket_status: string | null;
  created_at: number;
};
type Tables = { ticket_links: LinkRow };

export const POLL_JOB = 'ticketing.redmine-poll';
const SYNC_ACTOR: Actor = { kind: 'system', id: null, name: 'Redmine sync' };

/**
 * Keeps an alert or incident and its Redmine issue in step (SPEC.md §9):
 * - a successful `createIssue` links them and makes the issue the item's external reference;
 * - when the item's status changes, a note goes to the issue (as a response action, so it is in
 *   the history like any other call);
 * - a poller brings the issue's status back where the integration maps it (`statusMapping`).
 */
export class RedmineSync {
  private readonly db: Kysely<Tables>;

  constructor(
    private readonly deps: { database: Database; alerts: AlertsService; response: ResponseService; integrations: IntegrationsService; jobs: JobQueue; logger: Logger; pollIntervalMs?: number },
  ) {
    this.db = deps.database.db.withTables<Tables>() as unknown as Kysely<Tables>;
    deps.response.onFinished((a) => this.onActionFinished(a));
    deps.alerts.onChange((e) => {
      if (e.change === 'updated') void this.onItemChanged(e.tenantId, e.kind, e.id).catch((err) => deps.logger.warn({ err: (err as Error).message }, 'redmine note failed'));
    });
    deps.jobs.register(POLL_JOB, async () => {
      await this.pollAll();
      await this.schedule();
    });
  }

  /** Queues the next poll; one per interval slot however many workers start. */
  async schedule(): Promise<void> {
    const every = this.deps.pollIntervalMs ?? 5 * 60_000;
    const slot = Math.floor(Date.now() / every) + 1;
    await this.deps.jobs.enqueue(POLL_JOB, {}, { runAt: slot * every, idempotencyKey: `${POLL_JOB}:${slot}` });
  }

  private async onActionFinished(a: ResponseAction): Promise<void> {
    if (a.connectorType !== 'redmine' || a.action !== 'createIssue' || a.status !== 'succeeded') return;
    if (a.target.kind !== 'alert' && a.target.kind !== 'incident') return;
    const out = (a.result?.output ?? {}) as { issueId?: number; url?: string };
    if (!out.issueId || !out.url) return;
    const item = a.target.kind === 'alert' ? await this.deps.alerts.get(a.tenantId, a.target.value) : await this.deps.alerts.getIncident(a.tenantId, a.target.value);
    const exists = await this.db.selectFrom('ticket_links').select('id').where('instance_id', '=', a.instanceId).where('issue_id', '=', out.issueId).where('item_id', '=', item.id).executeTakeFirst();
    if (!exists) {
      await this.db
        .insertInto('ticket_links')
        .values({ id: newId(), tenant_id: a.tenantId, instance_id: a.instanceId, issue_id: out.issueId, url: out.url, item_kind: a.target.kind, item_id: item.id, last_item_status: item.status, last_ticket_status: null, created_at: now() })
        .execute();
    }
    if (item.status === 'closed') return;
    const patch = { externalRef: out.url, additionalData: { redmine: { issueId: out.issueId, url: out.url } } };
    if (a.target.kind === 'alert') await this.deps.alerts.update(a.tenantId, item.id, patch, SYNC_ACTOR);
    else await this.deps.alerts.updateIncident(a.tenantId, item.id, patch, SYNC_ACTOR);
  }

  private async onItemChanged(tenantId: string, kind: 'alert' | 'incident', id: string): Promise<void> {
    const links = await this.db.selectFrom('ticket_links').selectAll().where('tenant_id', '=', tenantId).where('item_id', '=', id).execute();
    if (links.length === 0) return;
    const item = kind === 'alert' ? await this.deps.alerts.get(tenantId, id) : await this.deps.alerts.getIncident(tenantId, id);
    for (const link of links) {
      if (link.last_item_status === item.status) continue;
      // Claim the change first, so two notifications of one change send one note.
      const res = await this.db.updateTable('ticket_links').set({ last_item_status: item.status }).where('id', '=', link.id).where('last_item_status', '=', link.last_item_status).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) continue;
      const resolution = item.resolution ? ` (resolution: ${item.resolution})` : '';
      await this.deps.response.launch(
        tenantId,
        { instanceId: link.instance_id, action: 'addNote', params: { issueId: link.issue_id, text: `xdrhub: ${item.shortId} status changed from ${link.last_item_status} to ${item.status}${resolution}.` }, targets: [{ kind, value: id }], ...(kind === 'alert' ? { alertId: id } : { incidentId: id }) },
        SYNC_ACTOR,
      );
    }
  }

  /** Brings mapped Redmine statuses back to the linked items. */
  async pollAll(): Promise<number> {
    const links = await this.db.selectFrom('ticket_links').selectAll().execute();
    const byInstance = new Map<string, LinkRow[]>();
    for (const l of links) byInstance.set(l.instance_id, [...(byInstance.get(l.instance_id) ?? []), l]);
    let applied = 0;
    for (const [instanceId, group] of byInstance) {
      let statuses;
      try {
        statuses = await this.deps.integrations.withConnector(group[0].tenant_id, instanceId, (ctx) => pollStatuses(ctx as unknown as RedmineContext, group.map((l) => l.issue_id)));
      } catch (err) {
        this.deps.logger.warn({ instanceId, err: (err as Error).message }, 'redmine poll failed');
        continue;
      }
      for (const s of statuses) {
        for (const link of group.filter((l) => l.issue_id === s.issueId)) {
          if (!s.found || !s.status || s.status === link.last_ticket_status) continue;
          await this.db.updateTable('ticket_links').set({ last_ticket_status: s.status }).where('id', '=', link.id).execute();
          if (!s.mappedStatus) continue;
          applied += await this.apply(link, s.mappedStatus);
        }
      }
    }
    return applied;
  }

  private async apply(link: LinkRow, status: string): Promise<number> {
    const kind = link.item_kind as 'alert' | 'incident';
    const item = kind === 'alert' ? await this.deps.alerts.get(link.tenant_id, link.item_id).catch(() => null) : await this.deps.alerts.getIncident(link.tenant_id, link.item_id).catch(() => null);
    if (!item || item.status === status || item.status === 'closed') return 0;
    const valid = kind === 'alert' ? ['new', 'inProgress', 'closed'] : ['open', 'inProgress', 'hold', 'closed'];
    if (!valid.includes(status)) return 0;
    // A ticket closed in Redmine closes the item as a true positive unless it already has a resolution.
    const patch = status === 'closed' ? { status, resolution: item.resolution ?? 'truePositive' } : { status };
    // Record the status we are about to set, so the change does not echo back as a note.
    await this.db.updateTable('ticket_links').set({ last_item_status: status }).where('id', '=', link.id).execute();
    if (kind === 'alert') await this.deps.alerts.update(link.tenant_id, item.id, patch as never, SYNC_ACTOR);
    else await this.deps.alerts.updateIncident(link.tenant_id, item.id, patch as never, SYNC_ACTOR);
    return 1;
  }

  async purgeTenants(tenantIds: string[], trx: Transaction<any>): Promise<void> {
    await (trx as unknown as Transaction<Tables>).deleteFrom('ticket_links').where('tenant_id', 'in', tenantIds).execute();
  }
}
