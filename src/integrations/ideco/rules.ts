import type { IdecoConfig } from './settings.ts';
import { call, type IdecoContext } from './session.ts';

/**
 * The managed rules: FORWARD drop rules that reference the managed address list, and the
 * content-filter deny rule for the managed category. They are found by their comment/name and
 * created at the top of their table (before any allow rule) when absent.
 */

/** Ideco's constant for the root server group (rules not pushed from Ideco Center). */
export const ROOT_GROUP = 'f3ffde22-a562-4f43-ac04-c40fcec6a88c';

interface FirewallRule {
  id: number;
  action: string;
  comment: string;
  source_addresses: string[];
  destination_addresses: string[];
  enabled: boolean;
}

interface ContentRule {
  id: number;
  name: string;
  access: string;
  categories: string[];
  enabled: boolean;
}

type Direction = 'destination' | 'source';

function directions(config: IdecoConfig): Direction[] {
  return config.blockDirection === 'both' ? ['destination', 'source'] : [config.blockDirection];
}

/** The comment of the rule for one direction: "<ruleComment> (to)" / "(from)". */
export function ruleCommentFor(config: IdecoConfig, direction: Direction): string {
  return `${config.ruleComment} (${direction === 'destination' ? 'to' : 'from'} listed IPs)`;
}

/** Makes sure a drop rule per direction references the list; returns what it created. */
export async function ensureDropRules(ctx: IdecoContext, listId: string): Promise<string[]> {
  const rules = (await call<FirewallRule[]>(ctx, 'GET', '/firewall/rules/forward')) ?? [];
  const created: string[] = [];
  for (const direction of directions(ctx.config)) {
    const comment = ruleCommentFor(ctx.config, direction);
    const field = direction === 'destination' ? 'destination_addresses' : 'source_addresses';
    if (rules.some((r) => r.comment === comment && r.action === 'drop' && r[field]?.includes(listId))) continue;
    const first = rules[0]?.id;
    await call(ctx, 'POST', '/firewall/rules/forward', {
      query: first !== undefined ? { anchor_item_id: first, insert_after: false } : undefined,
      json: {
        action: 'drop',
        comment,
        destination_addresses: direction === 'destination' ? [listId] : ['any'],
        destination_addresses_negate: false,
        destination_ports: ['any'],
        enabled: true,
        hip_profiles: ['any'],
        incoming_interface: 'any',
        outgoing_interface: 'any',
        parent_id: ROOT_GROUP,
        protocol: 'any',
        source_addresses: direction === 'source' ? [listId] : ['any'],
        source_addresses_negate: false,
        timetable: ['any'],
      },
    });
    created.push(`firewall rule "${comment}"`);
  }
  return created;
}

/** Makes sure a deny rule for the category exists; returns what it created. */
export async function ensureDenyRule(ctx: IdecoContext, categoryId: string): Promise<string[]> {
  const rules = (await call<ContentRule[]>(ctx, 'GET', '/content-filter/rules')) ?? [];
  const name = ctx.config.contentRuleName;
  if (rules.some((r) => r.name === name && r.access === 'deny' && r.categories?.includes(categoryId))) return [];
  const first = rules[0]?.id;
  await call(ctx, 'POST', '/content-filter/rules', {
    query: first !== undefined ? { anchor_item_id: first, insert_after: false } : undefined,
    json: {
      name,
      comment: 'Managed by xdrhub: URLs and domains blocked by response actions',
      parent_id: ROOT_GROUP,
      aliases: ['any'],
      categories: [categoryId],
      access: 'deny',
      redirect_url: null,
      enabled: true,
      timetable: ['any'],
    },
  });
  return [`content-filter rule "${name}"`];
}
