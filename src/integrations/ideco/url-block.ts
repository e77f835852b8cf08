import type { BatchOutcome } from './ip-block.ts';
import { ensureDenyRule } from './rules.ts';
import { call, type IdecoContext } from './session.ts';

/**
 * URLs and domains go into one managed content-filter user category (its `urls` hold full page
 * paths or bare domain names), denied by one managed content-filter rule. A batch is one GET and
 * at most one PUT of the category.
 */
interface UserCategory {
  id: string;
  name: string;
  comment?: string;
  urls: string[];
}
const COMMENT = 'Managed by xdrhub: URLs and domains blocked by response actions';

export async function applyUrlBatch(ctx: IdecoContext, op: 'block' | 'unblock', values: string[]): Promise<BatchOutcome> {
  const path = '/content-filter/users_categories';
  const name = ctx.config.contentCategoryName;
  const out: BatchOutcome = { changed: [], unchanged: [], created: [] };
  let category = ((await call<UserCategory[]>(ctx, 'GET', path)) ?? []).find((c) => c.name === name);
  if (!category) {
    if (op === 'unblock') return { ...out, unchanged: values };
    const { id } = (await call<{ id: string }>(ctx, 'POST', path, { json: { name, comment: COMMENT, urls: [] } }))!;
    category = { id, name, comment: COMMENT, urls: [] };
    out.created.push(`content-filter category "${name}"`);
  }
  const current = new Set(category.urls);
  for (const v of values) ((op === 'block') !== current.has(v) ? out.changed : out.unchanged).push(v);
  if (out.changed.length) {
    const changed = new Set(out.changed);
    const urls = op === 'block' ? [...category.urls, ...out.changed] : category.urls.filter((u) => !changed.has(u));
    await call(ctx, 'PUT', `${path}/${encodeURIComponent(category.id)}`, { json: { name, comment: category.comment ?? COMMENT, urls } });
  }
  if (op === 'block') out.created.push(...(await ensureDenyRule(ctx, category.id)));
  return out;
}
