import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../platform/db/index.ts';
import { newId, now } from '../platform/ids.ts';
import { AppError, conflict, forbidden, invalidField, notFound, tooManyRequests, unauthorized } from '../platform/errors.ts';
import type { Actor } from '../platform/actor.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import { pathIds, type Tenant, type TenantsService } from '../tenants/tenants.ts';
import { DUMMY_HASH, generatePassword, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { isRole, roleGrants, type Permission, type Role } from './permissions.ts';

interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  email: string | null;
  tenant_id: string;
  password_hash: string | null;
  disabled: number;
  failed_logins: number;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
}
interface RoleAssignmentsTable {
  id: string;
  user_id: string;
  tenant_id: string;
  role: string;
  created_at: number;
  created_by: string | null;
}
interface SessionsTable {
  id: string;
  user_id: string;
  csrf_hash: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}
interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}
type Tables = { users: UsersTable; role_assignments: RoleAssignmentsTable; sessions: SessionsTable; api_tokens: ApiTokensTable };
type Db = Kysely<Tables>;

export interface RoleAssignment {
  id: string;
  userId: string;
  tenantId: string;
  role: Role;
  createdAt: number;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  tenantId: string;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** The authenticated caller of a request. */
export interface Principal {
  user: User;
  via: 'session' | 'token';
  /** For cookie sessions: the hash of the CSRF token the client must echo. */
  csrfHash?: string;
  sessionId?: string;
  tokenId?: string;
  assignments: RoleAssignment[];
}

export interface ApiTokenView {
  id: string;
  name: string;
  createdAt: number;
  expiresAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const randomToken = () => randomBytes(32).toString('base64url');
const USERNAME = /^[A-Za-z0-9._@-]{1,128}$/;
const MAX_FAILED_LOGINS = 10;
const LOCKOUT_MS = 15 * 60_000;
export const MAX_TOKEN_DAYS = 365;

function toUser(row: UsersTable): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    tenantId: row.tenant_id,
    disabled: !!row.disabled,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toAssignment(row: RoleAssignmentsTable): RoleAssignment {
  return { id: row.id, userId: row.user_id, tenantId: row.tenant_id, role: row.role as Role, createdAt: Number(row.created_at) };
}

export function actorOf(principal: Principal): Actor {
  return { kind: principal.via === 'token' ? 'token' : 'user', id: principal.user.id, name: principal.user.username };
}

export interface AccessServiceDeps {
  database: Database;
  tenants: TenantsService;
  audit: AuditLog;
  sessionTtlMs: number;
}

export class AccessService {
  private readonly db: Db;

  constructor(private readonly deps: AccessServiceDeps) {
    this.db = deps.database.db.withTables<Tables>() as unknown as Db;
  }

  // ── authorization ────────────────────────────────────────────────────────────

  /** Roles the principal holds on the tenant, directly or through an ancestor. */
  rolesOn(principal: Principal, tenant: Tenant): Role[] {
    const lineage = new Set(pathIds(tenant));
    return [...new Set(principal.assignments.filter((a) => lineage.has(a.tenantId)).map((a) => a.role))];
  }

  can(principal: Principal, permission: Permission, tenant: Tenant): boolean {
    return this.rolesOn(principal, tenant).some((r) => roleGrants(r, permission));
  }

  /**
   * Resolves the tenant of a request for a permission. A tenant the caller cannot see at all
   * is a 404, exactly like one that does not exist; a visible one without the permission is 403.
   */
  async authorize(principal: Principal, permission: Permission, tenantId: string): Promise<Tenant> {
    const tenant = await this.deps.tenants.find(tenantId);
    if (!tenant) throw notFound('tenant');
    const roles = this.rolesOn(principal, tenant);
    if (roles.length === 0) throw notFound('tenant');
    if (!roles.some((r) => roleGrants(r, permission))) throw forbidden(`your roles on this tenant do not allow ${permission}`);
    return tenant;
  }

  /**
   * Whether a user (not the caller) is active and holds `permission` on `tenant`, directly or
   * through an ancestor — e.g. whether an alert may be assigned to them.
   */
  async userCan(userId: string, permission: Permission, tenant: Tenant): Promise<boolean> {
    if (!(await this.activeUser(userId))) return false;
    const lineage = new Set(pathIds(tenant));
    return (await this.assignmentsOf(userId)).some((a) => lineage.has(a.tenantId) && roleGrants(a.role, permission));
  }

  /** Tops of the tenant subtrees the principal can see. */
  visibleTops(principal: Principal): string[] {
    return [...new Set(principal.assignments.map((a) => a.tenantId))];
  }

  // ── sign-in, sessions, tokens ───────────────────────────────────────────────

  async login(username: string, password: string): Promise<{ sessionToken: string; csrfToken: string; expiresAt: number; user: User }> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
    const t = now();
    if (row?.locked_until && Number(row.locked_until) > t) {
      throw tooManyRequests('too many failed sign-ins: try again later or ask an administrator to reset the password');
    }
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    if (!row || !ok || row.disabled) {
      if (row && !ok) {
        const failed = row.failed_logins + 1;
        await this.db
          .updateTable('users')
          .set({ failed_logins: failed >= MAX_FAILED_LOGINS ? 0 : failed, locked_until: failed >= MAX_FAILED_LOGINS ? t + LOCKOUT_MS : row.locked_until })
          .where('id', '=', row.id)
          .execute();
      }
      throw unauthorized('wrong user name or password, or the account is disabled');
    }
    await this.db.updateTable('users').set({ failed_logins: 0, locked_until: null }).where('id', '=', row.id).execute();
    const sessionToken = randomToken();
    const csrfToken = randomToken();
    const expiresAt = t + this.deps.sessionTtlMs;
    await this.db
      .insertInto('sessions')
      .values({ id: sha256(sessionToken), user_id: row.id, csrf_hash: sha256(csrfToken), created_at: t, expires_at: expiresAt, last_seen_at: t })
      .execute();
    const user = toUser(row);
    await this.deps.audit.append({ actor: { kind: 'user', id: user.id, name: user.username }, tenantId: user.tenantId, action: 'auth.login', target: { kind: 'user', id: user.id }, details: {} });
    return { sessionToken, csrfToken, expiresAt, user };
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.sessionId) await this.db.deleteFrom('sessions').where('id', '=', principal.sessionId).execute();
  }

  async authenticateSession(sessionToken: string): Promise<Principal | null> {
    const id = sha256(sessionToken);
    const session = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    const t = now();
    if (!session || Number(session.expires_at) <= t) return null;
    const user = await this.activeUser(session.user_id);
    if (!user) return null;
    // Touch at most once a minute: every request must not become a write.
    if (t - Number(session.last_seen_at) > 60_000) {
      await this.db.updateTable('sessions').set({ last_seen_at: t }).where('id', '=', id).execute();
    }
    return { user, via: 'session', csrfHash: session.csrf_hash, sessionId: id, assignments: await this.assignmentsOf(user.id) };
  }

  static csrfMatches(principal: Principal, csrfToken: string | undefined): boolean {
    if (!principal.csrfHash || !csrfToken) return false;
    const a = Buffer.from(sha256(csrfToken));
    const b = Buffer.from(principal.csrfHash);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async createToken(principal: Principal, input: { name: string; expiresInDays: number }): Promise<{ token: string; view: ApiTokenView }> {
    const id = newId();
    const secret = randomToken();
    const t = now();
    const row: ApiTokensTable = {
      id,
      user_id: principal.user.id,
      name: input.name,
      secret_hash: sha256(secret),
      created_at: t,
      expires_at: t + input.expiresInDays * 86_400_000,
      last_used_at: null,
      revoked_at: null,
    };
    await this.db.insertInto('api_tokens').values(row).execute();
    await this.deps.audit.append({ actor: actorOf(principal), tenantId: principal.user.tenantId, action: 'token.create', target: { kind: 'api_token', id: id }, details: { name: input.name, expiresAt: new Date(row.expires_at).toISOString() } });
    return { token: `xdrh_${id.replaceAll('-', '')}_${secret}`, view: this.toTokenView(row) };
  }

  async listTokens(userId: string): Promise<ApiTokenView[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').execute();
    return rows.map((r) => this.toTokenView(r));
  }

  async revokeToken(principal: Principal, tokenId: string): Promise<void> {
    const res = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: now() })
      .where('id', '=', tokenId)
      .where('user_id', '=', principal.user.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw notFound('API token');
    await this.deps.audit.append({ actor: actorOf(principal), tenantId: principal.user.tenantId, action: 'token.revoke', target: { kind: 'api_token', id: tokenId }, details: {} });
  }

  async authenticateToken(bearer: string): Promise<Principal | null> {
    const m = /^xdrh_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/.exec(bearer);
    if (!m) return null;
    const hex = m[1];
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    const t = now();
    if (!row || row.revoked_at || Number(row.expires_at) <= t) return null;
    const a = Buffer.from(sha256(m[2]));
    if (!timingSafeEqual(a, Buffer.from(row.secret_hash))) return null;
    const user = await this.activeUser(row.user_id);
    if (!user) return null;
    if (!row.last_used_at || t - Number(row.last_used_at) > 60_000) {
      await this.db.updateTable('api_tokens').set({ last_used_at: t }).where('id', '=', id).execute();
    }
    return { user, via: 'token', tokenId: id, assignments: await this.assignmentsOf(user.id) };
  }

  private toTokenView(r: ApiTokensTable): ApiTokenView {
    return {
      id: r.id,
      name: r.name,
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
      lastUsedAt: r.last_used_at == null ? null : Number(r.last_used_at),
      revokedAt: r.revoked_at == null ? null : Number(r.revoked_at),
    };
  }

  // ── users and role assignments ───────────────────────────────────────────────

  /** Creates the first Main administrator on Root when no user exists yet. */
  async ensureFirstAdmin(root: Tenant, username: string, password?: string): Promise<{ created: boolean; password?: string }> {
    const any = await this.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (any) return { created: false };
    const generated = password ? undefined : generatePassword();
    const system: Actor = { kind: 'system', id: null, name: 'xdrhub' };
    const user = await this.createUserRow({ tenantId: root.id, username, displayName: 'Main administrator', email: null, password: password ?? generated! }, system);
    await this.insertAssignment(user.id, root.id, 'main', system);
    return { created: true, password: generated };
  }

  async createUser(
    tenant: Tenant,
    input: { username: string; displayName?: string; email?: string | null; password?: string },
    actor: Actor,
  ): Promise<{ user: User; generatedPassword?: string }> {
    const generated = input.password ? undefined : generatePassword();
    const user = await this.createUserRow(
      { tenantId: tenant.id, username: input.username, displayName: input.displayName ?? input.username, email: input.email ?? null, password: input.password ?? generated! },
      actor,
    );
    return { user, generatedPassword: generated };
  }

  private async createUserRow(
    input: { tenantId: string; username: string; displayName: string; email: string | null; password: string },
    actor: Actor,
  ): Promise<User> {
    const username = input.username.toLowerCase();
    if (!USERNAME.test(username)) throw invalidField('username', 'use 1–128 letters, digits, dot, underscore, @ or hyphen');
    const problem = passwordProblem(input.password);
    if (problem) throw invalidField('password', problem);
    const exists = await this.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
    if (exists) throw conflict(`the user name "${username}" is taken`, { field: 'username' });
    const t = now();
    const row: UsersTable = {
      id: newId(),
      username,
      display_name: input.displayName,
      email: input.email,
      tenant_id: input.tenantId,
      password_hash: await hashPassword(input.password),
      disabled: 0,
      failed_logins: 0,
      locked_until: null,
      created_at: t,
      updated_at: t,
    };
    await this.db.insertInto('users').values(row).execute();
    await this.deps.audit.append({ actor, tenantId: input.tenantId, action: 'user.create', target: { kind: 'user', id: row.id }, details: { username } });
    return toUser(row);
  }

  async activeUser(id: string): Promise<User | null> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.disabled) return null;
    // A user whose home tenant was deleted can no longer act.
    if (!(await this.deps.tenants.isActive(row.tenant_id))) return null;
    return toUser(row);
  }

  /** Users whose home tenant lies in the subtree of `tenant`. */
  async listUsers(tenant: Tenant, opts: { limit: number; offset: number; q?: string }): Promise<{ items: (User & { roles: RoleAssignment[] })[]; total: number }> {
    const ids = (await this.deps.tenants.subtree(tenant.id)).map((t) => t.id);
    let q = this.db.selectFrom('users').where('tenant_id', 'in', ids);
    if (opts.q) q = q.where('username', 'like', `%${opts.q.toLowerCase().replace(/[%_]/g, '')}%`);
    const total = Number((await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await q.selectAll().orderBy('username').limit(opts.limit).offset(opts.offset).execute();
    const items = [];
    for (const r of rows) items.push({ ...toUser(r), roles: await this.assignmentsOf(r.id) });
    return { items, total };
  }

  /** A user managed under `tenant` (home tenant in its subtree), or 404. */
  async userUnder(tenant: Tenant, userId: string): Promise<User> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    if (!row) throw notFound('user');
    const home = await this.deps.tenants.find(row.tenant_id);
    if (!home || !home.path.startsWith(tenant.path)) throw notFound('user');
    return toUser(row);
  }

  async updateUser(tenant: Tenant, userId: string, patch: { displayName?: string; email?: string | null; disabled?: boolean; password?: string }, actor: Actor): Promise<User> {
    const user = await this.userUnder(tenant, userId);
    // An administrator cannot lock themselves out here: their own password changes on /me/password,
    // with the current one; disabling goes through another administrator.
    if (actor.id === user.id && patch.disabled) throw invalidField('disabled', 'you cannot disable your own account: another administrator must');
    if (actor.id === user.id && patch.password !== undefined) throw invalidField('password', 'change your own password on your account (POST /api/v1/me/password, with your current password)');
    const set: Partial<UsersTable> = { updated_at: now() };
    if (patch.displayName !== undefined) set.display_name = patch.displayName;
    if (patch.email !== undefined) set.email = patch.email;
    if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
    if (patch.password !== undefined) {
      const problem = passwordProblem(patch.password);
      if (problem) throw invalidField('password', problem);
      set.password_hash = await hashPassword(patch.password);
      set.failed_logins = 0;
      set.locked_until = null;
    }
    await this.db.updateTable('users').set(set).where('id', '=', user.id).execute();
    if (patch.disabled || patch.password !== undefined) await this.db.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    const changed = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
    await this.deps.audit.append({ actor, tenantId: user.tenantId, action: 'user.update', target: { kind: 'user', id: user.id }, details: { changed } });
    return (await this.userUnder(tenant, userId));
  }

  async changeOwnPassword(principal: Principal, current: string, next: string): Promise<void> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', principal.user.id).executeTakeFirstOrThrow();
    if (!(await verifyPassword(current, row.password_hash ?? DUMMY_HASH))) throw invalidField('currentPassword', 'is wrong');
    const problem = passwordProblem(next);
    if (problem) throw invalidField('newPassword', problem);
    await this.db.updateTable('users').set({ password_hash: await hashPassword(next), updated_at: now() }).where('id', '=', row.id).execute();
    // Every other session of this user ends.
    let del = this.db.deleteFrom('sessions').where('user_id', '=', row.id);
    if (principal.sessionId) del = del.where('id', '!=', principal.sessionId);
    await del.execute();
    await this.deps.audit.append({ actor: actorOf(principal), tenantId: row.tenant_id, action: 'user.password.change', target: { kind: 'user', id: row.id }, details: {} });
  }

  async deleteUser(tenant: Tenant, userId: string, actor: Actor): Promise<void> {
    const user = await this.userUnder(tenant, userId);
    if (actor.id === user.id) throw conflict('you cannot delete your own account: another administrator must');
    await this.db.transaction().execute(async (trx) => {
      await this.removeUsersIn(trx, [user.id]);
      await this.deps.audit.append({ actor, tenantId: user.tenantId, action: 'user.delete', target: { kind: 'user', id: user.id }, details: { username: user.username } }, trx);
    });
  }

  async assignmentsOf(userId: string): Promise<RoleAssignment[]> {
    const rows = await this.db.selectFrom('role_assignments').selectAll().where('user_id', '=', userId).execute();
    return rows.map(toAssignment);
  }

  /**
   * Grants a role on a tenant. Escalation guard: only a Main administrator grants Main, and only
   * Main or a Tenant administrator of the target grants Tenant administrator.
   */
  async assignRole(granter: Principal, scope: Tenant, userId: string, input: { tenantId: string; role: string }): Promise<RoleAssignment> {
    const user = await this.userUnder(scope, userId);
    if (!isRole(input.role)) throw invalidField('role', 'is not a known role');
    const target = await this.deps.tenants.find(input.tenantId);
    if (!target || !target.path.startsWith(scope.path)) throw invalidField('tenantId', 'must be this tenant or one of its descendants');
    if (target.kind === 'shared' && input.role === 'main') throw invalidField('role', 'Main administrator is assigned on Root');
    const granterRoles = this.rolesOn(granter, target);
    if (!granterRoles.some((r) => roleGrants(r, 'users.manage'))) throw forbidden('your roles do not allow managing users on that tenant');
    if (input.role === 'main' && (!granterRoles.includes('main') || target.kind !== 'root')) {
      throw forbidden('only a Main administrator can grant Main administrator, and only on Root');
    }
    if (input.role === 'tenantAdmin' && !granterRoles.includes('main') && !granterRoles.includes('tenantAdmin')) {
      throw forbidden('only a Main or Tenant administrator can grant Tenant administrator');
    }
    const existing = await this.db
      .selectFrom('role_assignments')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('tenant_id', '=', target.id)
      .where('role', '=', input.role)
      .executeTakeFirst();
    if (existing) return toAssignment(existing);
    return this.insertAssignment(user.id, target.id, input.role, actorOf(granter));
  }

  /** CLI: grant a role without a granting principal (the operator has the database). */
  async grantAsSystem(userId: string, tenantId: string, role: Role): Promise<RoleAssignment> {
    const existing = await this.db.selectFrom('role_assignments').selectAll().where('user_id', '=', userId).where('tenant_id', '=', tenantId).where('role', '=', role).executeTakeFirst();
    return existing ? toAssignment(existing) : this.insertAssignment(userId, tenantId, role, { kind: 'system', id: null, name: 'xdrhub' });
  }

  /** CLI: a new random password for a user (e.g. a locked-out administrator); ends their sessions. */
  async resetPasswordAsSystem(username: string): Promise<string> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
    if (!row) throw notFound('user');
    const password = generatePassword();
    await this.db.updateTable('users').set({ password_hash: await hashPassword(password), failed_logins: 0, locked_until: null, updated_at: now() }).where('id', '=', row.id).execute();
    await this.db.deleteFrom('sessions').where('user_id', '=', row.id).execute();
    await this.deps.audit.append({ actor: { kind: 'system', id: null, name: 'xdrhub' }, tenantId: row.tenant_id, action: 'user.password.reset', target: { kind: 'user', id: row.id }, details: {} });
    return password;
  }

  private async insertAssignment(userId: string, tenantId: string, role: Role, actor: Actor): Promise<RoleAssignment> {
    const row: RoleAssignmentsTable = { id: newId(), user_id: userId, tenant_id: tenantId, role, created_at: now(), created_by: actor.id };
    await this.db.insertInto('role_assignments').values(row).execute();
    await this.deps.audit.append({ actor, tenantId, action: 'role.assign', target: { kind: 'user', id: userId }, details: { role, tenantId } });
    return toAssignment(row);
  }

  async removeRole(granter: Principal, scope: Tenant, userId: string, assignmentId: string): Promise<void> {
    const user = await this.userUnder(scope, userId);
    const row = await this.db.selectFrom('role_assignments').selectAll().where('id', '=', assignmentId).where('user_id', '=', user.id).executeTakeFirst();
    if (!row) throw notFound('role assignment');
    const target = await this.deps.tenants.find(row.tenant_id);
    if (!target || !target.path.startsWith(scope.path)) throw notFound('role assignment');
    const granterRoles = this.rolesOn(granter, target);
    if (row.role === 'main' && !granterRoles.includes('main')) throw forbidden('only a Main administrator can remove Main administrator');
    if (row.role === 'main') {
      const mains = await this.db.selectFrom('role_assignments').select('id').where('role', '=', 'main').execute();
      if (mains.length <= 1) throw conflict('this is the last Main administrator assignment');
    }
    await this.db.deleteFrom('role_assignments').where('id', '=', row.id).execute();
    await this.deps.audit.append({ actor: actorOf(granter), tenantId: row.tenant_id, action: 'role.remove', target: { kind: 'user', id: user.id }, details: { role: row.role, tenantId: row.tenant_id } });
  }

  // ── tenant purge ────────────────────────────────────────────────────────────

  /** Removes role assignments on, and users homed in, the purged tenants. */
  async purgeTenants(tenantIds: string[], trx: Transaction<any>): Promise<void> {
    const t = trx as unknown as Db;
    await t.deleteFrom('role_assignments').where('tenant_id', 'in', tenantIds).execute();
    const users = await t.selectFrom('users').select('id').where('tenant_id', 'in', tenantIds).execute();
    await this.removeUsersIn(trx, users.map((u) => u.id));
  }

  private async removeUsersIn(trx: Transaction<any>, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const t = trx as unknown as Db;
    await t.deleteFrom('sessions').where('user_id', 'in', userIds).execute();
    await t.deleteFrom('api_tokens').where('user_id', 'in', userIds).execute();
    await t.deleteFrom('role_assignments').where('user_id', 'in', userIds).execute();
    await t.deleteFrom('users').where('id', 'in', userIds).execute();
  }
}

export { AppError };
