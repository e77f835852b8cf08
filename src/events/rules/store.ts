// Sigma rules per tenant: each stored document is one rule, correlation or filter.
import type { Kysely, Transaction } from 'kysely';
import { notFound } from '../../platform/errors.ts';
import { newId, now } from '../../platform/ids.ts';
import type { DetectionRuleRow, EventsTables } from '../store/tables.ts';
import type { ParsedRuleDoc } from './import.ts';

export interface DetectionRule {
  id: string;
  tenantId: string;
  ruleId: string;
  kind: string;
  title: string;
  level: string;
  sigma: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

const toRule = (r: DetectionRuleRow): DetectionRule => ({
  id: r.id,
  tenantId: r.tenant_id,
  ruleId: r.rule_id,
  kind: r.kind,
  title: r.title,
  level: r.level,
  sigma: r.sigma,
  enabled: !!Number(r.enabled),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export class RuleStore {
  private readonly db: Kysely<EventsTables>;
  constructor(db: Kysely<any>) {
    this.db = db as Kysely<EventsTables>;
  }

  /** Inserts new rules and replaces the text of rules already imported under the same Sigma id (re-import = update). */
  async upsert(tenantId: string, docs: ParsedRuleDoc[]): Promise<{ created: number; updated: number; items: DetectionRule[] }> {
    let created = 0;
    let updated = 0;
    await this.db.transaction().execute(async (trx) => {
      for (const d of docs) {
        const t = now();
        const existing = await trx.selectFrom('detection_rules').select('id').where('tenant_id', '=', tenantId).where('rule_id', '=', d.ruleId).executeTakeFirst();
        if (existing) {
          await trx.updateTable('detection_rules').set({ kind: d.kind, title: d.title, level: d.level, sigma: d.sigma, updated_at: t }).where('id', '=', existing.id).execute();
          updated++;
        } else {
          await trx
            .insertInto('detection_rules')
            .values({ id: newId(), tenant_id: tenantId, rule_id: d.ruleId, kind: d.kind, title: d.title, level: d.level, sigma: d.sigma, enabled: 1, created_at: t, updated_at: t })
            .execute();
          created++;
        }
      }
    });
    const ids = docs.map((d) => d.ruleId);
    const items = (await this.db.selectFrom('detection_rules').selectAll().where('tenant_id', '=', tenantId).where('rule_id', 'in', ids).execute()).map(toRule);
    return { created, updated, items };
  }

  async list(tenantId: string, enabledOnly = false): Promise<DetectionRule[]> {
    let q = this.db.selectFrom('detection_rules').selectAll().where('tenant_id', '=', tenantId);
    if (enabledOnly) q = q.where('enabled', '=', 1);
    return (await q.orderBy('title').orderBy('id').execute()).map(toRule);
  }

  /**
   * Changes whenever the tenant's rules do (import, enable/disable, delete): processes that do not
   * see those calls (bus workers) compare it to rebuild their engines.
   */
  async version(tenantId: string): Promise<string> {
    const row = await this.db
      .selectFrom('detection_rules')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('at')])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return `${Number(row?.n ?? 0)}:${Number(row?.at ?? 0)}`;
  }

  async get(tenantId: string, id: string): Promise<DetectionRule> {
    const row = await this.db.selectFrom('detection_rules').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('detection rule');
    return toRule(row);
  }

  async setEnabled(tenantId: string, id: string, enabled: boolean): Promise<DetectionRule> {
    const res = await this.db.updateTable('detection_rules').set({ enabled: enabled ? 1 : 0, updated_at: now() }).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw notFound('detection rule');
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<void> {
    const res = await this.db.deleteFrom('detection_rules').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound('detection rule');
  }

  async purge(tenantIds: string[], trx: Transaction<any>): Promise<void> {
    await (trx as unknown as Transaction<EventsTables>).deleteFrom('detection_rules').where('tenant_id', 'in', tenantIds).execute();
  }
}
