import { Type, type Static } from 'typebox';
import { OutboundError } from '../../platform/outbound/index.ts';
import { defineConnector, type CheckResult } from '../framework/contract.ts';
import { issueUrl, redmine, type RedmineContext, type RedmineIssue } from './api.ts';
import { descriptionOf, idLineOf, markerOf, sourceOf, subjectOf, type IssueSource } from './issue.ts';
import { lookups, resolveNamed } from './lookups.ts';
import { configSchema, secretsSchema, type MappableStatus } from './settings.ts';

/**
 * Redmine (REST, reference §9): an alert or incident becomes an issue (the issue id is the item's
 * external reference), notes follow status changes, and `pollStatuses` brings Redmine's status
 * back. Auth is the X-Redmine-API-Key header; nothing is cached but lookups (lookups.ts).
 */

const createParams = Type.Object({}, { additionalProperties: false });
const noteParams = Type.Object(
  {
    issueId: Type.Integer({ minimum: 1, title: 'Redmine issue id' }),
    text: Type.String({ minLength: 1, maxLength: 60_000, title: 'Note', description: 'Added to the issue as a journal note' }),
  },
  { additionalProperties: false },
);
const statusParams = Type.Object({ issueId: Type.Integer({ minimum: 1, title: 'Redmine issue id' }) }, { additionalProperties: false });

export interface IssueStatus {
  issueId: number;
  found: boolean;
  status?: string;
  closed?: boolean;
  /** The xdrhub status the settings map this Redmine status to, if any. */
  mappedStatus?: MappableStatus;
}

function mapped(ctx: RedmineContext, status: string | undefined): MappableStatus | undefined {
  if (!status || !ctx.config.statusMapping) return undefined;
  const exact = ctx.config.statusMapping[status];
  if (exact) return exact;
  const lower = status.toLowerCase();
  return Object.entries(ctx.config.statusMapping).find(([k]) => k.toLowerCase() === lower)?.[1];
}

function statusOf(ctx: RedmineContext, issue: RedmineIssue): IssueStatus {
  return { issueId: issue.id, found: true, status: issue.status?.name, closed: issue.status?.is_closed, mappedStatus: mapped(ctx, issue.status?.name) };
}

/**
 * The issue already made for this xdrhub item: by the custom field when configured, then by the
 * subject marker (which also finds issues whose custom field Redmine silently dropped, e.g. a
 * field not enabled for the tracker).
 */
async function findExisting(ctx: RedmineContext, source: IssueSource): Promise<RedmineIssue | undefined> {
  const fieldId = ctx.config.customFieldId;
  const search = async (filter: Record<string, string>, exact: (i: RedmineIssue) => boolean) => {
    const query = { project_id: ctx.config.project, status_id: '*', limit: 25, sort: 'id', ...filter };
    const res = await redmine<{ issues: RedmineIssue[] }>(ctx, 'GET', '/issues.json', { query });
    // Redmine's filters are "contains"/"is" matches: confirm it is exactly this item.
    return (res!.body.issues ?? []).find(exact);
  };
  if (fieldId) {
    const byField = await search({ [`cf_${fieldId}`]: source.xdrhubId }, (i) => !!i.custom_fields?.some((f) => f.id === fieldId && f.value === source.xdrhubId));
    if (byField) return byField;
  }
  return search({ subject: `~${markerOf(source)}` }, (i) => i.subject.startsWith(`${markerOf(source)} `) && (i.description ?? '').includes(idLineOf(source)));
}

/** Serializes createIssue per instance and item, so two concurrent calls make one issue. */
const creating = new Map<string, Promise<unknown>>();

async function createIssue(ctx: RedmineContext, source: IssueSource) {
  const existing = await findExisting(ctx, source);
  if (existing) {
    const url = issueUrl(ctx.config, existing.id);
    return { summary: `Redmine issue #${existing.id} already exists for ${source.shortId}`, output: { issueId: existing.id, url, created: false, status: existing.status?.name } };
  }
  const { trackers, priorities } = await lookups(ctx);
  const issue: Record<string, unknown> = {
    project_id: ctx.config.project,
    subject: subjectOf(source),
    description: descriptionOf(source),
    priority_id: resolveNamed('priority', ctx.config.priorities[source.severity], priorities),
  };
  if (ctx.config.tracker) issue.tracker_id = resolveNamed('tracker', ctx.config.tracker, trackers);
  if (ctx.config.customFieldId) issue.custom_fields = [{ id: ctx.config.customFieldId, value: source.xdrhubId }];
  const res = await redmine<{ issue: RedmineIssue }>(ctx, 'POST', '/issues.json', { json: { issue } });
  const created = res!.body.issue;
  if (ctx.config.customFieldId && !created.custom_fields?.some((f) => f.id === ctx.config.customFieldId && f.value === source.xdrhubId)) {
    // Redmine drops values of fields not enabled for the tracker/project without an error: a
    // second call could then not find this issue, so say so rather than duplicate silently.
    ctx.logger.warn({ issueId: created.id, customFieldId: ctx.config.customFieldId }, 'Redmine ignored the xdrhub ID custom field');
  }
  const url = issueUrl(ctx.config, created.id);
  return { summary: `created Redmine issue #${created.id} for ${source.shortId}`, output: { issueId: created.id, url, created: true, status: created.status?.name } };
}

/**
 * Statuses of many issues with one request per 100 ids (the lead's poller calls this on a
 * schedule). Issues deleted or no longer visible come back with `found: false`.
 */
export async function pollStatuses(ctx: RedmineContext, issueIds: number[]): Promise<IssueStatus[]> {
  const ids = [...new Set(issueIds.filter((i) => Number.isInteger(i) && i > 0))];
  const out = new Map<number, IssueStatus>();
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const res = await redmine<{ issues: RedmineIssue[] }>(ctx, 'GET', '/issues.json', { query: { issue_id: chunk.join(','), status_id: '*', limit: 100 } });
    for (const issue of res!.body.issues ?? []) out.set(issue.id, statusOf(ctx, issue));
  }
  return ids.map((id) => out.get(id) ?? { issueId: id, found: false });
}

export const redmineConnector = defineConnector({
  type: 'redmine',
  title: 'Redmine',
  description: 'Creates Redmine issues from alerts and incidents, adds notes, and brings the issue status back.',
  configSchema,
  secretsSchema,
  rootOnlyFields: ['proxy'],
  async check(ctx): Promise<CheckResult> {
    if (!ctx.secrets.apiKey) return { ok: false, stage: 'config', message: 'no API key is set: paste the key from "My account → API access key"' };
    const me = await redmine<{ user: { login: string; id: number } }>(ctx, 'GET', '/users/current.json');
    const project = await redmine<{ project: { id: number; name: string; identifier: string } }>(ctx, 'GET', `/projects/${encodeURIComponent(ctx.config.project)}.json`, { notFoundIsNull: true });
    if (!project) return { ok: false, stage: 'authorize', message: `the project "${ctx.config.project}" does not exist or ${me!.body.user.login} may not see it: check the identifier and the user's membership` };
    try {
      const { trackers, priorities } = await lookups(ctx, true);
      if (ctx.config.tracker) resolveNamed('tracker', ctx.config.tracker, trackers);
      for (const name of Object.values(ctx.config.priorities)) resolveNamed('priority', name, priorities);
    } catch (err) {
      if (err instanceof OutboundError && err.status === undefined) return { ok: false, stage: 'config', message: err.message };
      throw err;
    }
    return { ok: true, stage: 'request', message: `connected as ${me!.body.user.login}; project "${project.body.project.name}" is visible`, details: { user: me!.body.user.login, project: project.body.project.identifier } };
  },
  actions: {
    createIssue: {
      title: 'Create a Redmine issue',
      description: 'Creates an issue for the alert or incident (or returns the one already made); output {issueId, url} is its external reference',
      targetKinds: ['alert', 'incident'],
      paramsSchema: createParams,
      async execute(ctx, target) {
        const source = sourceOf(target);
        const key = `${ctx.instance.tenantId}\u0000${ctx.instance.id}\u0000${source.xdrhubId}`;
        const previous = creating.get(key) ?? Promise.resolve();
        const mine = previous.catch(() => {}).then(() => createIssue(ctx, source));
        creating.set(key, mine);
        try {
          return await mine;
        } finally {
          if (creating.get(key) === mine) creating.delete(key);
        }
      },
    },
    addNote: {
      title: 'Add a note to the Redmine issue',
      description: 'Adds a journal note (e.g. when the alert status changes)',
      targetKinds: ['alert', 'incident'],
      paramsSchema: noteParams,
      async execute(ctx, _target, params: Static<typeof noteParams>) {
        await redmine(ctx, 'PUT', `/issues/${params.issueId}.json`, { json: { issue: { notes: params.text } } });
        return { summary: `added a note to Redmine issue #${params.issueId}`, output: { issueId: params.issueId, url: issueUrl(ctx.config, params.issueId) } };
      },
    },
    getStatus: {
      title: 'Read the Redmine issue status',
      description: 'Reads the issue status and the xdrhub status it maps to; changes nothing',
      targetKinds: ['alert', 'incident'],
      paramsSchema: statusParams,
      async execute(ctx, _target, params: Static<typeof statusParams>) {
        const res = await redmine<{ issue: RedmineIssue }>(ctx, 'GET', `/issues/${params.issueId}.json`);
        const s = statusOf(ctx, res!.body.issue);
        return { summary: `Redmine issue #${s.issueId} is ${s.status}${s.mappedStatus ? ` (xdrhub: ${s.mappedStatus})` : ''}`, output: { ...s, url: issueUrl(ctx.config, s.issueId) } };
      },
    },
  },
});
