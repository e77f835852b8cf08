import { Type, type Static } from 'typebox';
import { defineConnector, type ActionResult, type ActionTarget, type CheckResult, type ConnectorContext, type InstanceStatus } from '../framework/contract.ts';
import { OutboundError } from '../../platform/outbound/index.ts';
import { KasapClient, tokenAge, tokenUse, type KasapUser, type TokenAge, type TokenUse } from './client.ts';
import { kasapConfigSchema, kasapSecretsSchema, type KasapConfig, type KasapSecrets } from './settings.ts';

/**
 * Kaspersky Automated Security Awareness Platform (SPEC.md §6): training facts of an account,
 * the learning groups, and moving a user to another group (which assigns its courses), undone
 * by moving them back. Users are matched by e-mail; "not in KASAP" is an answer, not an error.
 */
type Ctx = ConnectorContext<KasapConfig, KasapSecrets>;

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The e-mail of an account target: its value when it is one, else attributes.email / mail / upn (alert assets keep the UPN as `upn`). */
function emailOf(target: ActionTarget): string {
  const a = target.attributes ?? {};
  const candidates = [target.value, a.email, a.mail, a.upn, a.userPrincipalName];
  const email = candidates.find((c): c is string => typeof c === 'string' && EMAIL.test(c.trim()));
  if (!email) throw new OutboundError('invalid', `the account "${target.value}" has no e-mail address: KASAP matches users by e-mail`);
  return email.trim().toLowerCase();
}

function training(u: KasapUser) {
  return {
    found: true,
    userId: u.userId,
    email: u.email,
    fullName: u.fullName,
    group: u.group,
    completed: u.courses.filter((c) => c.status === 'completed').map((c) => ({ id: c.id, name: c.name, completedAt: c.completedAt })),
    inProgress: u.courses.filter((c) => c.status === 'inProgress').map((c) => ({ id: c.id, name: c.name, progress: c.progress })),
    planned: u.courses.filter((c) => c.status === 'planned').map((c) => ({ id: c.id, name: c.name })),
    certificates: u.certificates,
  };
}

const isoDay = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString().slice(0, 10));

/** The token's dates and warnings as check details and instance status (never the token). */
function tokenFacts(issuedAt: string | undefined, setAt: number | null, age: TokenAge, use: TokenUse): Record<string, unknown> {
  return {
    tokenIssuedAt: issuedAt ? age.issuedAt ?? issuedAt : 'unknown',
    tokenSetInXdrhubAt: isoDay(setAt),
    tokenAgeBasis: age.basis,
    tokenAgeMonths: age.ageMonths,
    tokenExpiresAt: age.expiresAt,
    tokenWarning: age.warning,
    tokenLastUsedAt: use.lastUsedAt,
    tokenUnusedMonths: use.idleMonths,
    tokenRevokedIfUnusedBy: use.revokedIfUnusedBy,
    tokenUnusedWarning: use.warning,
  };
}

function ageWords(age: TokenAge): string {
  if (age.basis === 'issued') return `token issued on ${age.issuedAt}, ${age.ageMonths} month(s) old, expires ${age.expiresAt}`;
  if (age.basis === 'set') return `token set in xdrhub on ${age.issuedAt}; KASAP's issue date not entered: the token is at least ${age.ageMonths} month(s) old and expires on ${age.expiresAt} at the latest (enter "Token issued on" for the exact date)`;
  return 'token age unknown: it is not saved yet and "Token issued on" is empty';
}

const notFound = (email: string): ActionResult => ({ summary: `${email} is not a KASAP user`, output: { found: false, email } });

async function moveToGroup(ctx: Ctx, target: ActionTarget, groupId: string, verb: string): Promise<ActionResult> {
  const client = new KasapClient(ctx);
  const email = emailOf(target);
  const user = (await client.report([email])).get(email);
  if (!user) return { summary: `${email} is not a KASAP user: no group changed`, output: { found: false, email, changed: false } };
  const before = user.group;
  const groups = await client.groups();
  const group = groups.find((g) => g.id === groupId);
  if (!group) throw new OutboundError('invalid', `KASAP has no learning group "${groupId}": pick one from the list of groups`);
  const base = { found: true, email, userId: user.userId, previousGroupId: before?.id ?? null, previousGroupName: before?.name ?? null, groupId: group.id, groupName: group.name };
  if (before?.id === group.id) return { summary: `${email} was already in the group ${group.name}`, output: { ...base, changed: false } };
  const { previousGroupId } = await client.setGroup(user.userId, group.id);
  const previous = previousGroupId ?? before?.id ?? null;
  return {
    summary: `${email} ${verb} ${group.name}${before ? ` (was ${before.name})` : ''}; KASAP assigns its courses and notifies ${ctx.config.adminEmail}`,
    output: {
      ...base,
      previousGroupId: previous,
      changed: true,
      courses: group.courses,
      // What restoreGroup needs to undo this (null: the user had no group, nothing to restore).
      undoParams: previous ? { groupId: previous } : null,
    },
  };
}

const none = Type.Object({}, { additionalProperties: false });
const groupParams = Type.Object(
  { groupId: Type.String({ minLength: 1, maxLength: 256, title: 'Learning group', description: 'Id of a KASAP learning group (see "List learning groups")' }) },
  { additionalProperties: false },
);
const reportParams = Type.Object(
  { emails: Type.Array(Type.String({ format: 'email', maxLength: 320 }), { minItems: 1, maxItems: 5000, title: 'E-mails', description: 'Accounts to report on; sent to KASAP in batches' }) },
  { additionalProperties: false },
);

export const kasapConnector = defineConnector({
  type: 'kasap',
  title: 'Kaspersky ASAP (security awareness)',
  description: 'Training status of accounts, learning groups, and moving a user to another learning group in Kaspersky Automated Security Awareness Platform.',
  configSchema: kasapConfigSchema,
  secretsSchema: kasapSecretsSchema,
  rootOnlyFields: ['proxy'],
  async check(ctx): Promise<CheckResult> {
    const now = new Date();
    const setAt = ctx.secretsSetAt?.token ?? null;
    const age = tokenAge(ctx.config.tokenIssuedAt, now, setAt);
    // Idle time up to this check: its own calls count as use once they succeed.
    const before = tokenUse(ctx.secretsUsedAt?.token, setAt, now);
    const details = tokenFacts(ctx.config.tokenIssuedAt, setAt, age, before);
    const client = new KasapClient(ctx);
    let groups;
    try {
      // Both reads are side-effect free; the report with no e-mails proves its right too.
      groups = await client.groups();
      await client.probeReport();
    } catch (err) {
      const also = [age.warning, before.warning].filter(Boolean);
      if (err instanceof OutboundError && also.length && err.kind === 'auth') {
        return { ok: false, stage: err.stage, message: `${err.message}. Also: ${also.join('. Also: ')}`, details };
      }
      throw err;
    }
    const usedNow = ctx.secretsUsedAt?.token ?? null;
    let useWords = '';
    if (before.warning) {
      useWords = `. WARNING: xdrhub had not used the token for ${before.idleMonths} month(s) before this check (${before.lastUsedAt ? `last use ${before.lastUsedAt}` : `set ${before.idleSince}, never used since`}), and KASAP revokes tokens unused for 6 months: this check used it; use the connection at least every 6 months`;
    } else if (before.lastUsedAt) {
      useWords = `; last used by xdrhub on ${before.lastUsedAt} before this check`;
    }
    return {
      ok: true,
      stage: 'request',
      message: `KASAP answered: ${groups.length} learning group(s), report right present; ${ageWords(age)}${age.warning ? `. WARNING: ${age.warning}` : ''}${useWords}. The right to change groups is used only by actions`,
      details: { ...details, tokenLastUsedAt: isoDay(usedNow) ?? before.lastUsedAt, tokenLastUsedBeforeCheck: before.lastUsedAt, groups: groups.length },
    };
  },
  /** The token's age and idle time in the instance view, without calling KASAP. */
  status({ config, secretsSetAt, secretsUsedAt }, now): InstanceStatus {
    const setAt = secretsSetAt.token ?? null;
    if (setAt === null) return { warnings: ['no KASAP token is set: issue one in KASAP → Import and sync → OpenAPI and paste it here'], details: {} };
    const age = tokenAge(config.tokenIssuedAt, now, setAt);
    const use = tokenUse(secretsUsedAt.token, setAt, now);
    return { warnings: [age.warning, use.warning].filter((w): w is string => w !== null), details: tokenFacts(config.tokenIssuedAt, setAt, age, use) };
  },
  actions: {
    lookup: {
      title: 'KASAP training status',
      description: 'Learning group, completed and in-progress courses with progress, certificates of the account (by e-mail); no changes',
      targetKinds: ['account'],
      paramsSchema: none,
      async execute(ctx, target) {
        const email = emailOf(target);
        const user = (await new KasapClient(ctx).report([email])).get(email);
        if (!user) return notFound(email);
        const out = training(user);
        return {
          summary: `${email}: group ${user.group?.name ?? '(none)'}, ${out.completed.length} course(s) completed, ${out.inProgress.length} in progress, ${out.certificates.length} certificate(s)`,
          output: out,
        };
      },
    },
    listGroups: {
      title: 'List KASAP learning groups',
      description: 'The learning groups and their courses',
      targetKinds: ['none'],
      paramsSchema: none,
      async execute(ctx) {
        const groups = await new KasapClient(ctx).groups();
        return { summary: `${groups.length} learning group(s)`, output: { groups } };
      },
    },
    reportAccounts: {
      title: 'KASAP training report for accounts',
      description: 'Training status of many accounts at once (KASAP is asked in batches); accounts not in KASAP are listed',
      targetKinds: ['none'],
      paramsSchema: reportParams,
      async execute(ctx, _target, params: Static<typeof reportParams>) {
        const report = await new KasapClient(ctx).report(params.emails);
        const users = [...report.values()].filter((u): u is KasapUser => u !== null).map(training);
        const missing = [...report.entries()].filter(([, u]) => u === null).map(([e]) => e);
        return { summary: `${users.length} of ${report.size} account(s) found in KASAP`, output: { users, notFound: missing } };
      },
    },
    assignGroup: {
      title: 'Assign KASAP learning group',
      description: 'Moves the user to the group, which assigns its courses; KASAP notifies the administrator. Undone by "Restore KASAP learning group"',
      targetKinds: ['account'],
      paramsSchema: groupParams,
      undo: 'restoreGroup',
      execute: (ctx, target, params: Static<typeof groupParams>) => moveToGroup(ctx, target, params.groupId, 'moved to'),
    },
    restoreGroup: {
      title: 'Restore KASAP learning group',
      description: 'Moves the user back to a previous group (the undo of "Assign KASAP learning group": its output\'s previousGroupId)',
      targetKinds: ['account'],
      paramsSchema: groupParams,
      execute: (ctx, target, params: Static<typeof groupParams>) => moveToGroup(ctx, target, params.groupId, 'moved back to'),
    },
  },
});
